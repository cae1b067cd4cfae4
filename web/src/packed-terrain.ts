/**
 * The packed chunk of `GET /world/chunks/:cx/:cy` (format `vlw-chunk-1`,
 * docs/WORLD.md) in the browser: decoded and checked by the project's own
 * `unpackChunk`, read land by land here.
 */
import { elevationAt, landIndex, unpackChunk, type UnpackedChunk } from "../../src/domain/world/packed-chunk.js";

export type ChunkTerrain = UnpackedChunk;
/** @throws TypeError if the answer is not a well-formed packed chunk. */
export const decodePackedChunk = unpackChunk;

/** One land of a decoded chunk: its biome, elevation (0–1), colour and price. */
export function terrainOf(chunk: ChunkTerrain, x: number, y: number) {
  const k = landIndex(chunk, x, y);
  const biome = chunk.biomes[chunk.biome[k] ?? 0] ?? "unknown";
  return {
    biome,
    elevation: elevationAt(chunk.elevation, k),
    rgb: [chunk.color[3 * k] ?? 0, chunk.color[3 * k + 1] ?? 0, chunk.color[3 * k + 2] ?? 0] as const,
    price_bdt: chunk.priceByBiome[biome] ?? 0,
  };
}
