/**
 * MurmurHash3's 32-bit finaliser: a bijection on 32-bit integers with full
 * avalanche, used to derive independent seeds and streams from one seed. Pure.
 */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
