/**
 * Seeded randomness for the load tester: the same `--seed` gives every
 * simulated player the same sequence of decisions (given the same answers
 * from the server). Pure: no clock, no `Math.random`.
 */
import { fmix32 } from "../src/domain/bit-mixing.js";

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a 32-bit state, fast, good enough for simulation (not for secrets). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/**
 * An independent stream for `stream` (a player's index, say) under `seed`,
 * so player 7 behaves the same whether 10 or 1,000 players run beside it.
 */
export function streamSeed(seed: number, stream: number): number {
  return fmix32(fmix32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1));
}

export function createRandom(seed: number, stream = 0): Random {
  return mulberry32(streamSeed(seed, stream));
}

/** An integer in [min, max], both included. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A standard normal deviate (Box–Muller; uses two uniforms). */
export function standardNormal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) is never taken
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A log-normal deviate with the given median and shape `sigma` (the standard
 * deviation of its logarithm): human think times are skewed to the right,
 * mostly short with a long tail.
 */
export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * standardNormal(random));
}

/** One of `items`, uniformly; undefined when there are none. */
export function pick<T>(random: Random, items: readonly T[]): T | undefined {
  if (items.length === 0) return undefined;
  return items[Math.floor(random() * items.length)];
}

/**
 * A key of `weights` drawn with probability proportional to its weight.
 * @throws RangeError when no weight is positive.
 */
export function pickWeighted<K extends string>(random: Random, weights: Readonly<Record<K, number>>): K {
  const entries = (Object.entries(weights) as Array<[K, number]>).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (entries.length === 0 || !(total > 0)) throw new RangeError("pickWeighted needs at least one positive weight");
  let point = random() * total;
  for (const [key, weight] of entries) {
    point -= weight;
    if (point < 0) return key;
  }
  return entries[entries.length - 1]![0];
}
