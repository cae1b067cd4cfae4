/**
 * The two noise fields terrain is made of, and the per-land sampling that both
 * the chunk generator and `landTerrain` go through (one code path, so both
 * give bit-identical values).
 */
import { createFractalNoiseField, sampleFractalNoiseRow, type FractalNoiseField } from "./noise-field.js";
import { deriveNoiseSeed, ELEVATION_SEED_SALT, MOISTURE_SEED_SALT } from "./seed-derivation.js";
import type { WorldConfig } from "./world-config.js";

/** The moisture field only has to break up biome borders; finer octaves would just cost noise calls. */
export const MAX_MOISTURE_OCTAVES = 3;

export interface TerrainFields {
  readonly elevation: FractalNoiseField;
  readonly moisture: FractalNoiseField;
}

/** Builds both fields of a (valid) config; each has its own seed derived from `worldSeed`. */
export function createTerrainFields(config: WorldConfig): TerrainFields {
  const { noise } = config;
  return {
    elevation: createFractalNoiseField(deriveNoiseSeed(config.worldSeed, ELEVATION_SEED_SALT), noise),
    moisture: createFractalNoiseField(deriveNoiseSeed(config.worldSeed, MOISTURE_SEED_SALT), {
      ...noise,
      octaves: Math.min(noise.octaves, MAX_MOISTURE_OCTAVES),
    }),
  };
}

/** Noise calls made per land: every land samples both fields in full. */
export function noiseCallsPerLand(fields: TerrainFields): number {
  return fields.elevation.octaves + fields.moisture.octaves;
}

/**
 * Elevation in [0, 1] from the elevation field's value: mapped from [-1, 1],
 * clamped, then rounded to float32 – the precision `ChunkTerrain.elevation`
 * stores. Biomes are classified from this rounded value, so anyone holding the
 * stored elevation and the thresholds can reproduce the biome.
 */
export function elevationFromNoise(value: number): number {
  const mapped = (value + 1) * 0.5;
  return Math.fround(mapped < 0 ? 0 : mapped > 1 ? 1 : mapped);
}

// Single-land sampling reuses these one-element buffers: JS is single-threaded
// and they never escape, so the functions stay pure from the outside.
const oneElevation = new Float64Array(1);
const oneMoisture = new Float64Array(1);

/** Elevation of land (x, y) in [0, 1], float32-rounded (see `elevationFromNoise`). */
export function landElevation(fields: TerrainFields, x: number, y: number): number {
  sampleFractalNoiseRow(fields.elevation, x, y, 1, oneElevation);
  return elevationFromNoise(oneElevation[0] as number);
}

/** Moisture of land (x, y) in about [-1, 1]; only its rank among other lands matters. */
export function landMoisture(fields: TerrainFields, x: number, y: number): number {
  sampleFractalNoiseRow(fields.moisture, x, y, 1, oneMoisture);
  return oneMoisture[0] as number;
}
