import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Land passcodes have only 10,000 values, so any hash stored beside them is
 * reversed offline in minutes. The hash is keyed (HMAC-SHA256) with a pepper
 * kept outside the database, and bound to the land so equal passcodes on two
 * lands do not share a hash.
 */
export function createPasscodeHasher(pepper: string) {
  const digest = (landId: string, passcode: string) =>
    createHmac("sha256", pepper).update(`${landId}:${passcode}`).digest("hex");
  return {
    hash: digest,
    /** Constant-time comparison against a stored hash. */
    matches(landId: string, passcode: string, storedHash: string | null): boolean {
      if (!storedHash) return false;
      const expected = Buffer.from(storedHash, "hex");
      const actual = Buffer.from(digest(landId, passcode), "hex");
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}
export type PasscodeHasher = ReturnType<typeof createPasscodeHasher>;
