/**
 * Fractal (multi-octave) OpenSimplex noise with every per-octave constant
 * precomputed, so sampling is one tight loop of multiply-adds and noise calls.
 *
 * Determinism: `open-simplex-noise` uses only +, −, ×, floor and table
 * look-ups, and so does this file (frequencies and amplitudes come from
 * repeated multiplication, not `Math.pow`, whose last bit may differ between
 * engines). IEEE-754 doubles make that bit-exact on any machine.
 */
import { makeNoise2D } from "open-simplex-noise";
import { centroidX, centroidY } from "./world-lattice.js";

export type Noise2D = (x: number, y: number) => number;

export interface FractalNoiseSettings {
  frequency: number;
  octaves: number;
  persistence: number;
  lacunarity: number;
}

export interface FractalNoiseField {
  readonly noise: Noise2D;
  readonly octaves: number;
  /** frequency × lacunarity^o. */
  readonly frequencies: Float64Array;
  /** persistence^o divided by the sum of all amplitudes, so the sum stays in about [-1, 1]. */
  readonly weights: Float64Array;
  /** Per-octave translations (see `OCTAVE_OFFSET_*`). */
  readonly offsetsX: Float64Array;
  readonly offsetsY: Float64Array;
}

/*
 * Every octave samples the same noise instance. Without an offset all octaves
 * would pass through the same lattice point at the origin (where OpenSimplex
 * is 0), correlating them near (0, 0); shifting octave o by o × these
 * incommensurate steps decorrelates them at the cost of one addition per call.
 */
const OCTAVE_OFFSET_X = 71.377;
const OCTAVE_OFFSET_Y = 113.713;

/** Builds a field from a 32-bit seed; the settings must already be valid (see `validateWorldConfig`). */
export function createFractalNoiseField(seed32: number, settings: FractalNoiseSettings): FractalNoiseField {
  const { octaves } = settings;
  const frequencies = new Float64Array(octaves);
  const weights = new Float64Array(octaves);
  const offsetsX = new Float64Array(octaves);
  const offsetsY = new Float64Array(octaves);
  let frequency = settings.frequency;
  let amplitude = 1;
  let amplitudeSum = 0;
  for (let o = 0; o < octaves; o++) {
    frequencies[o] = frequency;
    weights[o] = amplitude;
    offsetsX[o] = o * OCTAVE_OFFSET_X;
    offsetsY[o] = o * OCTAVE_OFFSET_Y;
    amplitudeSum += amplitude;
    frequency *= settings.lacunarity;
    amplitude *= settings.persistence;
  }
  for (let o = 0; o < octaves; o++) weights[o] = (weights[o] ?? 0) / amplitudeSum;
  return { noise: makeNoise2D(seed32), octaves, frequencies, weights, offsetsX, offsetsY };
}

/**
 * Samples the field at the centroids of `count` consecutive lands of row y,
 * starting at land x0, into `out[0 … count-1]` (each about [-1, 1]).
 *
 * Octaves form the outer loop, so the inner loop keeps one frequency, weight
 * and offset in registers and feeds the noise function neighbouring points
 * (a few per cent faster than land by land). Each land still sums its octaves in
 * ascending order starting from 0, so the result is bit-identical to a
 * per-land loop – and `landTerrain` uses this same function with count = 1.
 */
export function sampleFractalNoiseRow(
  field: FractalNoiseField,
  x0: number,
  y: number,
  count: number,
  out: Float64Array,
): void {
  const { noise, octaves, frequencies, weights, offsetsX, offsetsY } = field;
  out.fill(0, 0, count);
  for (let o = 0; o < octaves; o++) {
    const f = frequencies[o] as number;
    const weight = weights[o] as number;
    const offsetX = offsetsX[o] as number;
    const offsetY = offsetsY[o] as number;
    for (let i = 0; i < count; i++) {
      const x = x0 + i;
      out[i] = (out[i] as number) + weight * noise(centroidX(x) * f + offsetX, centroidY(x, y) * f + offsetY);
    }
  }
}
