import { describe, expect, it } from "vitest";
import { createRandom, logNormal, mulberry32, pickWeighted, randomInt, streamSeed } from "../../loadtest/random.js";

const draw = (random: () => number, n: number) => Array.from({ length: n }, () => random());

describe("the load tester's seeded randomness", () => {
  it("gives the same sequence for the same seed and a different one for another seed", () => {
    expect(draw(mulberry32(42), 20)).toEqual(draw(mulberry32(42), 20));
    expect(draw(mulberry32(42), 20)).not.toEqual(draw(mulberry32(43), 20));
  });

  it("stays in [0, 1) and is roughly uniform", () => {
    const values = draw(mulberry32(7), 50_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    const buckets = new Array(10).fill(0);
    for (const v of values) buckets[Math.floor(v * 10)]++;
    for (const count of buckets) expect(count).toBeGreaterThan(4_500);
  });

  it("gives each player its own stream, independent of how many players run", () => {
    expect(draw(createRandom(1, 7), 10)).toEqual(draw(createRandom(1, 7), 10));
    expect(draw(createRandom(1, 7), 10)).not.toEqual(draw(createRandom(1, 8), 10));
    expect(streamSeed(1, 0)).not.toBe(streamSeed(2, 0));
  });

  it("draws log-normal think times around the median, skewed to the right", () => {
    const random = mulberry32(3);
    const values = Array.from({ length: 20_000 }, () => logNormal(random, 2_000, 0.8)).sort((a, b) => a - b);
    const median = values[values.length / 2]!;
    expect(median).toBeGreaterThan(1_900);
    expect(median).toBeLessThan(2_100);
    expect(values.every((v) => v > 0)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(median); // exp(σ²/2) ≈ 1.38 × the median
  });

  it("picks integers in the inclusive range and keys in proportion to their weights", () => {
    const random = mulberry32(11);
    const ints = Array.from({ length: 5_000 }, () => randomInt(random, -2, 2));
    expect(new Set(ints)).toEqual(new Set([-2, -1, 0, 1, 2]));
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 30_000; i++) counts[pickWeighted(random, { a: 1, b: 2, c: 0 })]++;
    expect(counts.c).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(1.8);
    expect(counts.b / counts.a).toBeLessThan(2.2);
    expect(() => pickWeighted(random, { a: 0 })).toThrow(RangeError);
  });
});
