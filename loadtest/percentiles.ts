/**
 * Latency samples and their percentiles. Pure.
 *
 * Percentiles use the nearest-rank method on the sorted samples: p99 of 200
 * samples is the 198th smallest, always a value that was observed. Up to
 * `capacity` samples are kept exactly; beyond that a uniform reservoir of
 * `capacity` samples stands for all of them (Vitter's algorithm R), while the
 * count, sum, minimum and maximum stay exact. The reservoir draws from its own
 * seeded generator so a report does not depend on `Math.random`.
 */
import { mulberry32, type Random } from "./random.js";

export interface Summary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * The nearest-rank percentile of ascending `sorted` values.
 * @throws RangeError on an empty array or p outside [0, 100].
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export const DEFAULT_SAMPLE_CAPACITY = 100_000;

export class SampleSet {
  private samples: number[] = [];
  private sorted: Float64Array | null = null;
  private seen = 0;
  private total = 0;
  private lowest = Infinity;
  private highest = -Infinity;
  private readonly random: Random;

  constructor(
    private readonly capacity = DEFAULT_SAMPLE_CAPACITY,
    seed = 0x5eed,
  ) {
    this.random = mulberry32(seed);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.seen++;
    this.total += value;
    if (value < this.lowest) this.lowest = value;
    if (value > this.highest) this.highest = value;
    if (this.samples.length < this.capacity) {
      this.samples.push(value);
    } else {
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.capacity) this.samples[slot] = value;
    }
    this.sorted = null;
  }

  get count(): number {
    return this.seen;
  }

  /** The samples kept (all of them up to the capacity, then the reservoir), in no particular order. */
  get kept(): readonly number[] {
    return this.samples;
  }

  /** The p-th percentile, or undefined without samples. */
  percentile(p: number): number | undefined {
    if (this.seen === 0) return undefined;
    if (p >= 100) return this.highest;
    this.sorted ??= Float64Array.from(this.samples).sort();
    return percentile(this.sorted, p);
  }

  /** count, mean, min, p50, p95, p99 and max; undefined without samples. */
  summary(): Summary | undefined {
    if (this.seen === 0) return undefined;
    return {
      count: this.seen,
      mean: this.total / this.seen,
      min: this.lowest,
      p50: this.percentile(50)!,
      p95: this.percentile(95)!,
      p99: this.percentile(99)!,
      max: this.highest,
    };
  }
}

/**
 * The p-th percentile of several sets taken together (the 5-second windows
 * of a longer window, say), or undefined without samples. Each kept sample
 * stands for `count / kept` samples of its set, so a set that overflowed
 * into its reservoir keeps its weight; without overflow this is exactly the
 * nearest-rank percentile of all the samples.
 */
export function pooledPercentile(sets: readonly SampleSet[], p: number): number | undefined {
  const filled = sets.filter((set) => set.count > 0);
  if (filled.length <= 1) return filled[0]?.percentile(p);
  if (p >= 100) return Math.max(...filled.map((set) => set.percentile(100)!));
  const weighted = filled.flatMap((set) => {
    const weight = set.count / set.kept.length;
    return set.kept.map((value) => ({ value, weight }));
  });
  weighted.sort((a, b) => a.value - b.value);
  const total = filled.reduce((sum, set) => sum + set.count, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let cumulative = 0;
  for (const { value, weight } of weighted) {
    cumulative += weight;
    // The tolerance absorbs the rounding of fractional weights adding up to a whole rank.
    if (cumulative >= rank - 1e-9) return value;
  }
  return weighted.at(-1)!.value;
}
