/**
 * Golden values of the default world. Terrain must be the same bytes on every
 * machine and every release: lands are bought and sold by what they are. If
 * this fails after a dependency bump (open-simplex-noise above all) or a code
 * change, the world has changed – do not just paste new hashes; see
 * "Golden hashes policy" in docs/WORLD.md.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_WORLD_CONFIG, chunkHash, generateChunk, landTerrain } from "../../src/domain/world/index.js";

const GOLDEN_CHUNK_HASHES: ReadonlyArray<[cx: number, cy: number, sha256: string]> = [
  [0, 0, "4f31d3e7cd3f0437a733beeb9aca983ef815b25aea3ee4f3cad18fbbc465a765"],
  [3, 4, "5036a927f61e191d4e2ff9ddc51f4f99ee335b219bde2601f6d40a4ea4101611"],
  [17, 9, "8e506fd4e6aa5caab7abcaa4aaad3e6b176db1bce3473f7d998a518d5ef69705"],
  [31, 31, "b6cc8d68866f8790a4396cd90f9d60df4fbb17049019367f7001bf2d5c4fc8e4"],
];

describe("golden world", () => {
  it.each(GOLDEN_CHUNK_HASHES)("keeps chunk (%i, %i) of the default world byte for byte", (cx, cy, sha256) => {
    expect(chunkHash(generateChunk(DEFAULT_WORLD_CONFIG, cx, cy))).toBe(sha256);
  });

  it("keeps the terrain of two sample lands of the default world", () => {
    expect(landTerrain(DEFAULT_WORLD_CONFIG, 100, 200)).toEqual({
      x: 100,
      y: 200,
      biome: "grassland",
      elevation: 0.4834696352481842,
      color_hex: "#7ab041",
      price_bdt: 800,
    });
    expect(landTerrain(DEFAULT_WORLD_CONFIG, 513, 77)).toEqual({
      x: 513,
      y: 77,
      biome: "forest",
      elevation: 0.45685485005378723,
      color_hex: "#2c652c",
      price_bdt: 1000,
    });
  });
});
