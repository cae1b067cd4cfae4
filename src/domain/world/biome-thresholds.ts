/**
 * Biome thresholds: how elevation and moisture become a biome while meeting
 * the configured shares.
 *
 * Method
 * ------
 * 1. A fixed sample of lands is drawn from the config alone: a regular grid
 *    of about SAMPLE_TARGET (65,536) lands spread over the whole world, or
 *    every land when the world is no larger than that. Column i of gx sits
 *    at x = floor((2i + 1) · width / (2 · gx)) – the centre of its stripe –
 *    and likewise for rows; gx : gy follows the world's aspect ratio.
 * 2. Elevation (float32, exactly as stored) and moisture are sampled at each
 *    point and the elevations sorted.
 * 3. Water is the lowest `water` share: `waterBelow` is the sorted elevation
 *    at rank round(water · n), and a land is water when elevation < waterBelow.
 *    Snow is the highest `snow` share: `snowFrom` is the elevation at rank
 *    n − round(snow · n), and a land is snow when elevation ≥ snowFrom.
 * 4. The middle band (neither water nor snow) is split by moisture quantiles
 *    of the middle-band samples, in proportion to the remaining shares:
 *    driest → desert (moisture < desertBelow), wettest → forest
 *    (moisture ≥ forestFrom), grassland in between. Moisture is an
 *    independent noise field, so these borders wander across the elevation
 *    contours instead of drawing stripes along them.
 * 5. A share of 0 gives a threshold of ±Infinity, so that biome never appears.
 *
 * Why a grid and not the whole world: a chunk must be generated without
 * generating the world, and the grid is a fine quadrature of the same
 * continuous fields (its spacing, 4 lands in the default world, is far below
 * the ~20-side feature size), so the shares it yields match the whole world
 * to well under the ±1 point the game promises. Sorting numbers is
 * deterministic, so the thresholds are a pure function of the config.
 *
 * The same pass records the 1st and 99th elevation percentiles, which the
 * colour table uses to spread its shading over the elevations that occur.
 */
import { BIOME_INDEX, type WorldConfig } from "./world-config.js";
import { createTerrainFields, landElevation, landMoisture, type TerrainFields } from "./terrain-fields.js";

// Module constants rather than BIOME_INDEX.x look-ups in the per-land path.
const { water: WATER, snow: SNOW, desert: DESERT, forest: FOREST, grassland: GRASSLAND } = BIOME_INDEX;

/** Sample size of the threshold derivation (a 256 × 256 grid for a square world). */
export const SAMPLE_TARGET = 65_536;

export interface BiomeThresholds {
  /** Water: elevation < waterBelow. */
  readonly waterBelow: number;
  /** Snow: elevation ≥ snowFrom (checked after water). */
  readonly snowFrom: number;
  /** Desert: a middle-band land with moisture < desertBelow. */
  readonly desertBelow: number;
  /** Forest: a middle-band land with moisture ≥ forestFrom (checked after desert). */
  readonly forestFrom: number;
  /** 1st percentile of elevation: the darkest shade. */
  readonly shadeLow: number;
  /** 99th percentile of elevation: the lightest shade. */
  readonly shadeHigh: number;
  /** Number of lands sampled. */
  readonly sampleCount: number;
}

/**
 * Derives the thresholds of a config from its fixed sample (see the top of this file).
 * Costs about 2 × SAMPLE_TARGET field samples; the generator caches the result per
 * config object, so call this directly only to inspect thresholds.
 *
 * @param fields the config's noise fields, when the caller already built them.
 */
export function deriveBiomeThresholds(
  config: WorldConfig,
  fields: TerrainFields = createTerrainFields(config),
): BiomeThresholds {
  const { worldWidth: width, worldHeight: height } = config;
  let columns = width;
  let rows = height;
  if (width * height > SAMPLE_TARGET) {
    columns = clampInt(Math.round(Math.sqrt((SAMPLE_TARGET * width) / height)), 1, width);
    rows = clampInt(Math.floor(SAMPLE_TARGET / columns), 1, height);
  }
  const sampleCount = columns * rows;
  const elevations = new Float64Array(sampleCount);
  const moistures = new Float64Array(sampleCount);
  let k = 0;
  for (let j = 0; j < rows; j++) {
    const y = Math.floor(((2 * j + 1) * height) / (2 * rows));
    for (let i = 0; i < columns; i++, k++) {
      const x = Math.floor(((2 * i + 1) * width) / (2 * columns));
      elevations[k] = landElevation(fields, x, y);
      moistures[k] = landMoisture(fields, x, y);
    }
  }

  const sorted = elevations.slice().sort();
  const shares = config.biomeShares;
  const waterCount = Math.round(shares.water * sampleCount);
  const snowCount = Math.min(Math.round(shares.snow * sampleCount), sampleCount - waterCount);
  const waterBelow = lowerThreshold(sorted, waterCount);
  const snowFrom = snowCount === 0 ? Infinity : (sorted[sampleCount - snowCount] as number);

  // Moisture of the middle band, selected with the very comparisons `classifyBiome` makes.
  const middle: number[] = [];
  for (let i = 0; i < sampleCount; i++) {
    const elevation = elevations[i] as number;
    if (elevation >= waterBelow && elevation < snowFrom) middle.push(moistures[i] as number);
  }
  const middleSorted = Float64Array.from(middle).sort();
  const middleCount = middleSorted.length;
  const middleShare = shares.desert + shares.grassland + shares.forest;
  let desertBelow = -Infinity;
  let forestFrom = Infinity;
  if (middleShare > 0 && middleCount > 0) {
    const desertCount = Math.round((shares.desert / middleShare) * middleCount);
    const forestCount = Math.min(Math.round((shares.forest / middleShare) * middleCount), middleCount - desertCount);
    desertBelow = lowerThreshold(middleSorted, desertCount);
    forestFrom = forestCount === 0 ? Infinity : (middleSorted[middleCount - forestCount] as number);
  }

  return {
    waterBelow,
    snowFrom,
    desertBelow,
    forestFrom,
    shadeLow: sorted[Math.floor(0.01 * (sampleCount - 1))] as number,
    shadeHigh: sorted[Math.ceil(0.99 * (sampleCount - 1))] as number,
    sampleCount,
  };
}

/**
 * The biome index (into BIOMES) of a land. Order matters: water, then snow,
 * then the moisture split of the middle band.
 */
export function classifyBiome(thresholds: BiomeThresholds, elevation: number, moisture: number): number {
  if (elevation < thresholds.waterBelow) return WATER;
  if (elevation >= thresholds.snowFrom) return SNOW;
  if (moisture < thresholds.desertBelow) return DESERT;
  if (moisture >= thresholds.forestFrom) return FOREST;
  return GRASSLAND;
}

/** The value below which exactly `count` of the sorted values lie (±Infinity at the ends). */
function lowerThreshold(sorted: Float64Array, count: number): number {
  if (count <= 0) return -Infinity;
  if (count >= sorted.length) return Infinity;
  return sorted[count] as number;
}

function clampInt(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
