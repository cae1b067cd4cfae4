/**
 * Decodes the packed chunk of `GET /world/chunks/:cx/:cy` (format
 * `vlw-chunk-1`, docs/WORLD.md) in the browser. The shape is the server's own
 * type, and the bytes are unpacked (and checked) by the project's own
 * `unpackBytes`.
 */
import { unpackBytes, type PackedChunk } from "../../src/domain/world/packed-chunk.js";

export interface ChunkTerrain {
  cx: number;
  cy: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
  biomes: string[];
  /** One biome index per land, row-major. */
  biome: Uint8Array;
  /** Two bytes (uint16 LE, e × 65535) per land. */
  elevation: Uint8Array;
  /** r, g, b per land. */
  color: Uint8Array;
  priceByBiome: Record<string, number>;
}

/** @throws TypeError if the answer is not a well-formed packed chunk. */
export function decodePackedChunk(packed: PackedChunk): ChunkTerrain {
  const { biome, elevation, color } = unpackBytes(packed);
  return {
    cx: packed.cx,
    cy: packed.cy,
    x0: packed.x0,
    y0: packed.y0,
    width: packed.width,
    height: packed.height,
    biomes: packed.biomes,
    biome,
    elevation,
    color,
    priceByBiome: packed.price_by_biome,
  };
}

/** One land of a decoded chunk: its biome, elevation (0–1), colour and price. */
export function terrainOf(chunk: ChunkTerrain, x: number, y: number) {
  const k = (y - chunk.y0) * chunk.width + (x - chunk.x0);
  const biome = chunk.biomes[chunk.biome[k] ?? 0] ?? "unknown";
  return {
    biome,
    elevation: ((chunk.elevation[2 * k] ?? 0) | ((chunk.elevation[2 * k + 1] ?? 0) << 8)) / 65535,
    rgb: [chunk.color[3 * k] ?? 0, chunk.color[3 * k + 1] ?? 0, chunk.color[3 * k + 2] ?? 0] as const,
    price_bdt: chunk.priceByBiome[biome] ?? 0,
  };
}
