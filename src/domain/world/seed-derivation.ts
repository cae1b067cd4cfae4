/**
 * Turns the 53-bit world seed into the 32-bit seeds the noise library takes.
 *
 * `makeNoise2D` keeps only the low 32 bits of its seed (it stores it in a
 * Uint32Array), so passing the world seed directly would make seeds that differ
 * only above bit 32 – or only in sign – produce the same world. Instead the
 * seed is split exactly into its two's-complement 32-bit halves and both are
 * run through MurmurHash3's 32-bit finaliser together with a per-field salt, so
 * every bit of the seed reaches every derived seed and the elevation and
 * moisture fields are independent. Only integer operations are used
 * (`Math.imul`, shifts, xor), which are exact on every platform.
 */
import { fmix32 } from "../bit-mixing.js";

/** Salt of the elevation field's seed. */
export const ELEVATION_SEED_SALT = 1;
/** Salt of the moisture field's seed. */
export const MOISTURE_SEED_SALT = 2;

const TWO_POW_32 = 4294967296;
/** 2^32 / golden ratio: spreads small salts over all 32 bits. */
const GOLDEN_GAMMA = 0x9e3779b9;

/**
 * Derives an unsigned 32-bit noise seed from a world seed and a salt.
 *
 * @throws RangeError if `worldSeed` is not a safe integer.
 */
export function deriveNoiseSeed(worldSeed: number, salt: number): number {
  if (!Number.isSafeInteger(worldSeed)) {
    throw new RangeError(`worldSeed must be a safe integer, got ${worldSeed}`);
  }
  // Exact split: division and multiplication by a power of two are exact for
  // safe integers, and floor makes negative seeds two's-complement-like.
  const high = Math.floor(worldSeed / TWO_POW_32);
  const low = worldSeed - high * TWO_POW_32; // in [0, 2^32)
  const saltMix = fmix32(Math.imul(salt + 1, GOLDEN_GAMMA));
  return fmix32((low ^ fmix32((high ^ saltMix) >>> 0)) >>> 0);
}
