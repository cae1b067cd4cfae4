import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import fc from "fast-check";

/**
 * Garbage of every shape for a room message: wrong types, huge and
 * non-finite numbers, nesting, prototype keys, long strings, binary. Object
 * keys are drawn partly from `fieldNames`, so values land on the fields a
 * schema looks at.
 */
export function hostileValue(fieldNames: readonly string[]): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.string({ maxLength: 40 }),
      fc.string({ minLength: 500, maxLength: 3_000 }),
      fc.integer(),
      fc.double(),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 64, -0, Number.MAX_SAFE_INTEGER + 2),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 64 }),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "prototype", ...fieldNames)), tie("value"), {
        maxKeys: 5,
      }),
    ),
  })).value;
}

/** The V8 collector, exposed at run time (vitest's worker is not started with --expose-gc). */
export function forcedGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** The heap in use after collecting garbage a few times, for before/after comparisons. */
export async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}
