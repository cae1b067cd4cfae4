import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { percentile, pooledPercentile, SampleSet } from "../../loadtest/percentiles.js";

describe("percentiles (nearest rank)", () => {
  it("returns observed values at the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([10, 20, 30], 99)).toBe(30);
    expect(percentile([5], 99)).toBe(5);
  });

  it("refuses an empty sample or a percentile outside [0, 100]", () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });

  it("is monotonic in p and lies between the minimum and the maximum", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
        const sorted = [...values].sort((a, b) => a - b);
        let previous = -Infinity;
        for (const p of [0, 10, 50, 90, 95, 99, 100]) {
          const value = percentile(sorted, p);
          expect(value).toBeGreaterThanOrEqual(previous);
          expect(value).toBeGreaterThanOrEqual(sorted[0]!);
          expect(value).toBeLessThanOrEqual(sorted.at(-1)!);
          previous = value;
        }
      }),
    );
  });
});

describe("a sample set", () => {
  it("summarises what it was given, unsorted, ignoring non-finite values", () => {
    const set = new SampleSet();
    expect(set.summary()).toBeUndefined();
    for (const value of [5, 1, 4, 2, 3, Number.NaN, Infinity]) set.add(value);
    expect(set.summary()).toEqual({ count: 5, mean: 3, min: 1, p50: 3, p95: 5, p99: 5, max: 5 });
  });

  it("keeps count, mean, min and max exact and percentiles close beyond its capacity", () => {
    const set = new SampleSet(1_000);
    for (let i = 1; i <= 100_000; i++) set.add(i);
    const summary = set.summary()!;
    expect(summary.count).toBe(100_000);
    expect(summary.min).toBe(1);
    expect(summary.max).toBe(100_000);
    expect(summary.mean).toBeCloseTo(50_000.5, 6);
    expect(Math.abs(summary.p50 - 50_000)).toBeLessThan(5_000);
    expect(summary.p99).toBeGreaterThan(95_000);
  });
});

describe("a percentile of several sample sets together", () => {
  const setOf = (values: number[], capacity?: number) => {
    const set = new SampleSet(capacity);
    for (const value of values) set.add(value);
    return set;
  };

  it("is the nearest-rank percentile of all their samples while none overflowed", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(0, 50, 95, 99, 100), (groups, p) => {
        const all = groups.flat().sort((a, b) => a - b);
        expect(pooledPercentile(groups.map((values) => setOf(values)), p)).toBe(all.length ? percentile(all, p) : undefined);
      }),
    );
  });

  it("weighs a set that overflowed into its reservoir by the samples it stands for", () => {
    // 10,000 samples of 1 kept as 100, then 100 samples of 1,000: the slow ones are 1 % of the whole, so the p98 is fast and the p99.5 slow.
    const fast = setOf(Array.from({ length: 10_000 }, () => 1), 100);
    const slow = setOf(Array.from({ length: 100 }, () => 1_000));
    expect(pooledPercentile([fast, slow], 98)).toBe(1);
    expect(pooledPercentile([fast, slow], 99.5)).toBe(1_000);
  });
});
