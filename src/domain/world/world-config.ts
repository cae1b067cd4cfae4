/**
 * World configuration: the only input of terrain generation.
 *
 * Terrain is a pure function of a `WorldConfig`, so two servers holding equal
 * configs serve byte-identical chunks. The generator caches derived data per
 * config *object* (see `terrain-model.ts`), therefore configs are treated as
 * immutable values: build a new object instead of mutating one.
 */

/** Biome names in their fixed index order (the packed chunk format stores these indices). */
export const BIOMES = ["forest", "grassland", "water", "desert", "snow"] as const;
export type Biome = (typeof BIOMES)[number];

/** Index of each biome inside `BIOMES`; the values stored in `ChunkTerrain.biome`. */
export const BIOME_INDEX = {
  forest: 0,
  grassland: 1,
  water: 2,
  desert: 3,
  snow: 4,
} as const satisfies Record<Biome, number>;

export interface NoiseSettings {
  /** Frequency of the first octave, in noise units per triangle side. */
  frequency: number;
  /** Number of octaves of the elevation field (the moisture field uses at most 3). */
  octaves: number;
  /** Amplitude factor from one octave to the next. */
  persistence: number;
  /** Frequency factor from one octave to the next. */
  lacunarity: number;
}

export interface WorldConfig {
  /** A safe integer, may be up to 2^53-1 or negative (stored as BIGINT). */
  worldSeed: number;
  /** Width in lands; need not be a multiple of chunkSize (the last chunk column is then partial). */
  worldWidth: number;
  /** Height in lands; need not be a multiple of chunkSize (the last chunk row is then partial). */
  worldHeight: number;
  /** Side of a square chunk, in lands (32 in production). */
  chunkSize: number;
  noise: NoiseSettings;
  /** Share of the world covered by each biome; the values sum to 1. */
  biomeShares: Record<Biome, number>;
  /** Integer base price of a land, in BDT. */
  basePriceBdt: number;
  /** price_bdt = round(basePriceBdt × priceMultipliers[biome]). */
  priceMultipliers: Record<Biome, number>;
}

/** The default world: seed 42, 1024 × 1024 lands in 32 × 32 chunks. Deeply frozen. */
export const DEFAULT_WORLD_CONFIG: WorldConfig = deepFreeze({
  worldSeed: 42,
  worldWidth: 1024,
  worldHeight: 1024,
  chunkSize: 32,
  noise: { frequency: 0.05, octaves: 6, persistence: 0.6, lacunarity: 2.0 },
  biomeShares: { forest: 0.35, grassland: 0.3, water: 0.2, desert: 0.1, snow: 0.05 },
  basePriceBdt: 1000,
  priceMultipliers: { forest: 1.0, grassland: 0.8, water: 1.2, desert: 0.7, snow: 1.5 },
});

/** How far the biome shares may sum away from 1 (rounding in decimal settings). */
const SHARE_SUM_TOLERANCE = 1e-6;
/** More octaves than this add only sub-pixel detail and cost noise calls. */
const MAX_OCTAVES = 16;

/**
 * Checks that a config can be generated from.
 *
 * @throws RangeError naming the first invalid field.
 */
export function validateWorldConfig(config: WorldConfig): void {
  if (!Number.isSafeInteger(config.worldSeed)) {
    throw new RangeError(`worldSeed must be a safe integer, got ${config.worldSeed}`);
  }
  for (const key of ["worldWidth", "worldHeight", "chunkSize"] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${key} must be a positive integer, got ${value}`);
    }
  }
  const { frequency, octaves, persistence, lacunarity } = config.noise;
  if (!Number.isInteger(octaves) || octaves < 1 || octaves > MAX_OCTAVES) {
    throw new RangeError(`noise.octaves must be an integer in [1, ${MAX_OCTAVES}], got ${octaves}`);
  }
  for (const [key, value] of [
    ["frequency", frequency],
    ["persistence", persistence],
    ["lacunarity", lacunarity],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`noise.${key} must be a positive finite number, got ${value}`);
    }
  }
  let shareSum = 0;
  for (const biome of BIOMES) {
    const share = config.biomeShares[biome];
    if (!Number.isFinite(share) || share < 0 || share > 1) {
      throw new RangeError(`biomeShares.${biome} must be in [0, 1], got ${share}`);
    }
    shareSum += share;
    const multiplier = config.priceMultipliers[biome];
    if (!Number.isFinite(multiplier) || multiplier < 0) {
      throw new RangeError(`priceMultipliers.${biome} must be a non-negative finite number, got ${multiplier}`);
    }
  }
  if (Math.abs(shareSum - 1) > SHARE_SUM_TOLERANCE) {
    throw new RangeError(`biomeShares must sum to 1, got ${shareSum}`);
  }
  if (!Number.isSafeInteger(config.basePriceBdt) || config.basePriceBdt < 0) {
    throw new RangeError(`basePriceBdt must be a non-negative integer, got ${config.basePriceBdt}`);
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return Object.freeze(value);
}
