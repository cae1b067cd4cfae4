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
