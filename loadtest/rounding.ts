/** Rounding for the report's figures (the same digits wherever a figure appears). Pure. */

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `value` to `digits` decimals, or null when it is missing or not finite. */
export function nullableRound(value: number | null | undefined, digits = 3): number | null {
  return value === undefined || value === null || !Number.isFinite(value) ? null : round(value, digits);
}
