/**
 * A content hash of a chunk's packed form, for golden tests, caching (ETag)
 * and cross-server consistency checks. Layout hashed (docs/WORLD.md):
 *
 *   "vlw-chunk-1\n"
 *   the biome names, comma-separated, then "\n"           (ASCII)
 *   cx, cy, x0, y0, width, height                          (float64 LE each)
 *   price of each biome in the order of the names         (float64 LE each)
 *   biome bytes, elevation uint16 LE bytes, colour bytes  (as packed)
 */
import { createHash } from "node:crypto";
import type { ChunkTerrain } from "./chunk-generator.js";
import { encodeChunkPacked, unpackChunk, type PackedChunk } from "./packed-chunk.js";

/**
 * sha256 (lowercase hex) of a chunk's packed bytes. A `ChunkTerrain` and its
 * `encodeChunkPacked` form hash the same.
 *
 * @throws TypeError if a packed chunk is malformed.
 */
export function chunkHash(chunk: ChunkTerrain | PackedChunk): string {
  const packed = "format" in chunk ? chunk : encodeChunkPacked(chunk);
  const { biomes, biome, elevation, color } = unpackChunk(packed);
  const numbers = [packed.cx, packed.cy, packed.x0, packed.y0, packed.width, packed.height];
  for (const name of biomes) numbers.push(packed.price_by_biome[name]);
  const numberBytes = new DataView(new ArrayBuffer(numbers.length * 8));
  numbers.forEach((value, i) => numberBytes.setFloat64(i * 8, value, true));
  return createHash("sha256")
    .update(`${packed.format}\n${biomes.join(",")}\n`, "ascii")
    .update(new Uint8Array(numberBytes.buffer))
    .update(biome)
    .update(elevation)
    .update(color)
    .digest("hex");
}
