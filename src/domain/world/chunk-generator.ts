/**
 * Chunk generation: terrain of up to chunkSize × chunkSize lands into typed
 * arrays.
 *
 * Per land (x, y), in this order – the same functions `landTerrain` calls:
 *   1. noise coordinates = the triangle's centroid (`centroidX/Y`);
 *   2. elevation = fractal OpenSimplex sum (config.noise, seed derived from
 *      worldSeed with salt 1), mapped from [-1, 1] to [0, 1], clamped, float32;
 *   3. moisture = a second fractal field (≤ 3 octaves, salt 2);
 *   4. biome = `classifyBiome` against thresholds derived once per config
 *      from quantiles of a fixed sample (see biome-thresholds.ts);
 *   5. colour = the biome's base colour shaded by elevation (table look-up);
 *   6. price = round(basePriceBdt × priceMultipliers[biome]), per biome.
 *
 * Noise is sampled a row and an octave at a time; the per-land loop
 * allocates nothing and calls no closures, so the cost is dominated by the
 * noise calls themselves (bench/chunk-generation.ts measures the ratio).
 */
import { classifyBiome } from "./biome-thresholds.js";
import { shadeIndex } from "./terrain-colors.js";
import { sampleFractalNoiseRow } from "./noise-field.js";
import { elevationFromNoise } from "./terrain-fields.js";
import { terrainModelFor } from "./terrain-model.js";
import type { Biome, WorldConfig } from "./world-config.js";
import { chunkCountX, chunkCountY, chunkExists } from "./world-lattice.js";

export interface ChunkTerrain {
  cx: number;
  cy: number;
  /** config.chunkSize. */
  size: number;
  /** First land of the chunk: (cx × size, cy × size). */
  x0: number;
  y0: number;
  /** Lands actually in the chunk: size, or less in the world's last column/row. */
  width: number;
  height: number;
  /** Index into BIOMES per land, row-major (y then x): land (x0 + i, y0 + j) is at j × width + i. */
  biome: Uint8Array;
  /** Elevation in [0, 1] per land, same order. */
  elevation: Float32Array;
  /** r, g, b per land, same order (3 bytes each). */
  colorRgb: Uint8Array;
  /** price_bdt of each biome (a fresh object per chunk). */
  priceByBiome: Record<Biome, number>;
}

/**
 * Generates the terrain of chunk (cx, cy). Pure: same config and coordinates,
 * same bytes, whatever was generated before.
 *
 * @throws RangeError if the chunk is outside the world or the config is invalid.
 */
export function generateChunk(config: WorldConfig, cx: number, cy: number): ChunkTerrain {
  const model = terrainModelFor(config);
  if (!chunkExists(config, cx, cy)) {
    throw new RangeError(
      `chunk (${cx}, ${cy}) is outside the world of ${chunkCountX(config)} × ${chunkCountY(config)} chunks`,
    );
  }
  const size = config.chunkSize;
  const x0 = cx * size;
  const y0 = cy * size;
  const width = Math.min(size, config.worldWidth - x0);
  const height = Math.min(size, config.worldHeight - y0);
  const landCount = width * height;
  const biome = new Uint8Array(landCount);
  const elevation = new Float32Array(landCount);
  const colorRgb = new Uint8Array(landCount * 3);
  const { fields, thresholds, colorTable } = model;
  // Noise is sampled a row at a time (see `sampleFractalNoiseRow`) into these.
  const elevationNoise = new Float64Array(width);
  const moistureNoise = new Float64Array(width);

  let k = 0;
  for (let j = 0; j < height; j++) {
    const y = y0 + j;
    sampleFractalNoiseRow(fields.elevation, x0, y, width, elevationNoise);
    sampleFractalNoiseRow(fields.moisture, x0, y, width, moistureNoise);
    for (let i = 0; i < width; i++, k++) {
      const e = elevationFromNoise(elevationNoise[i] as number);
      const b = classifyBiome(thresholds, e, moistureNoise[i] as number);
      biome[k] = b;
      elevation[k] = e;
      const shade = shadeIndex(b, e);
      const rgb = k * 3;
      colorRgb[rgb] = colorTable[shade] as number;
      colorRgb[rgb + 1] = colorTable[shade + 1] as number;
      colorRgb[rgb + 2] = colorTable[shade + 2] as number;
    }
  }
  return { cx, cy, size, x0, y0, width, height, biome, elevation, colorRgb, priceByBiome: { ...model.priceByBiome } };
}
