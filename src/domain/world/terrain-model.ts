/**
 * Everything derived from a config once and reused by every chunk: the noise
 * fields, biome thresholds, colour table and prices. Cached per config object
 * in a WeakMap, so a config dropped by its owner is collected with its model,
 * and a chunk costs only its own noise calls.
 *
 * Because of this cache a config must not be mutated after first use; build a
 * new object instead (DEFAULT_WORLD_CONFIG is frozen).
 */
import { deriveBiomeThresholds, type BiomeThresholds } from "./biome-thresholds.js";
import { buildColorTable } from "./terrain-colors.js";
import { createTerrainFields, type TerrainFields } from "./terrain-fields.js";
import { BIOMES, validateWorldConfig, type Biome, type WorldConfig } from "./world-config.js";

export interface TerrainModel {
  readonly fields: TerrainFields;
  readonly thresholds: BiomeThresholds;
  /** See `buildColorTable`. */
  readonly colorTable: Uint8Array;
  /** Price of each biome, indexed like BIOMES. */
  readonly priceByIndex: Float64Array;
  readonly priceByBiome: Readonly<Record<Biome, number>>;
}

const models = new WeakMap<WorldConfig, TerrainModel>();

/**
 * The (cached) model of a config.
 *
 * @throws RangeError if the config is invalid (see `validateWorldConfig`).
 */
export function terrainModelFor(config: WorldConfig): TerrainModel {
  const cached = models.get(config);
  if (cached !== undefined) return cached;
  validateWorldConfig(config);
  const fields = createTerrainFields(config);
  const thresholds = deriveBiomeThresholds(config, fields);
  const priceByBiome = biomePrices(config);
  const model: TerrainModel = {
    fields,
    thresholds,
    colorTable: buildColorTable(thresholds.shadeLow, thresholds.shadeHigh),
    priceByIndex: Float64Array.from(BIOMES, (biome) => priceByBiome[biome]),
    priceByBiome: Object.freeze(priceByBiome),
  };
  models.set(config, model);
  return model;
}

/** price_bdt of each biome: round(basePriceBdt × priceMultipliers[biome]). */
export function biomePrices(config: WorldConfig): Record<Biome, number> {
  const prices = {} as Record<Biome, number>;
  for (const biome of BIOMES) prices[biome] = Math.round(config.basePriceBdt * config.priceMultipliers[biome]);
  return prices;
}
