/**
 * The packed chunk: a compact JSON form of `ChunkTerrain` for HTTP – three
 * base64 strings instead of a thousand land objects (~8.5 KB vs ~108 KB for a
 * full 32 × 32 chunk). The format is specified in docs/WORLD.md.
 */
import { base64ToBytes, bytesToBase64 } from "../base64.js";
import type { ChunkTerrain } from "./chunk-generator.js";
import { rgbToHex } from "./terrain-colors.js";
import type { LandTerrain } from "./land-terrain.js";
import { BIOMES, type Biome } from "./world-config.js";

export const PACKED_CHUNK_FORMAT = "vlw-chunk-1";

/** Elevations travel as round(e × 65535) in 16 bits: steps of 1.5e-5. */
export const ELEVATION_QUANTUM = 65535;

export interface PackedChunk {
  format: typeof PACKED_CHUNK_FORMAT;
  cx: number;
  cy: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Names of the indices in `biome` (BIOMES at encoding time). */
  biomes: Biome[];
  /** base64 of one byte per land (index into `biomes`), row-major y then x. */
  biome: string;
  /** base64 of one uint16 little-endian per land: round(elevation × 65535). */
  elevation: string;
  /** base64 of r, g, b bytes per land. */
  color: string;
  /** price_bdt of each biome. */
  price_by_biome: Record<Biome, number>;
}

/** Packs a chunk for the wire. */
export function encodeChunkPacked(chunk: ChunkTerrain): PackedChunk {
  return {
    format: PACKED_CHUNK_FORMAT,
    cx: chunk.cx,
    cy: chunk.cy,
    x0: chunk.x0,
    y0: chunk.y0,
    width: chunk.width,
    height: chunk.height,
    biomes: [...BIOMES],
    biome: bytesToBase64(chunk.biome),
    elevation: bytesToBase64(quantizeElevations(chunk.elevation)),
    color: bytesToBase64(chunk.colorRgb),
    price_by_biome: { ...chunk.priceByBiome },
  };
}

/**
 * Unpacks a chunk into one record per land, row-major (y then x). Elevations
 * come back quantised (k / 65535), everything else exactly as generated.
 *
 * @throws TypeError if `packed` is not a well-formed vlw-chunk-1 object.
 */
export function decodeChunkPacked(packed: PackedChunk): LandTerrain[] {
  const { biomes, biome, elevation, color } = unpackChunk(packed);
  const prices = biomes.map((name) => {
    const price = packed.price_by_biome[name];
    if (typeof price !== "number") throw new TypeError(`packed chunk has no price for ${name}`);
    return price;
  });
  const lands: LandTerrain[] = new Array(packed.width * packed.height);
  let k = 0;
  for (let j = 0; j < packed.height; j++) {
    for (let i = 0; i < packed.width; i++, k++) {
      const index = biome[k] as number;
      const name = biomes[index];
      if (name === undefined) throw new TypeError(`packed chunk has biome index ${index} of ${biomes.length}`);
      lands[k] = {
        x: packed.x0 + i,
        y: packed.y0 + j,
        biome: name,
        elevation: elevationAt(elevation, k),
        color_hex: rgbToHex(color[3 * k] as number, color[3 * k + 1] as number, color[3 * k + 2] as number),
        price_bdt: prices[index] as number,
      };
    }
  }
  return lands;
}

/**
 * A packed chunk with its base64 fields decoded, after checking its shape and
 * lengths: what the web client draws from and the load tester prices lands from.
 */
export interface UnpackedChunk extends Pick<PackedChunk, "cx" | "cy" | "x0" | "y0" | "width" | "height"> {
  biomes: Biome[];
  /** One biome index per land, row-major (y then x). */
  biome: Uint8Array;
  /** round(elevation × 65535) per land as uint16 little-endian; read with `elevationAt`. */
  elevation: Uint8Array;
  /** r, g, b per land. */
  color: Uint8Array;
  priceByBiome: Record<string, number>;
}

/**
 * Decodes the base64 fields of a packed chunk.
 *
 * @throws TypeError if `packed` is not a well-formed vlw-chunk-1 object.
 */
export function unpackChunk(packed: PackedChunk): UnpackedChunk {
  if (typeof packed !== "object" || packed === null || packed.format !== PACKED_CHUNK_FORMAT) {
    throw new TypeError(`not a ${PACKED_CHUNK_FORMAT} packed chunk`);
  }
  for (const key of ["cx", "cy", "x0", "y0", "width", "height"] as const) {
    if (!Number.isSafeInteger(packed[key]) || packed[key] < 0) {
      throw new TypeError(`packed chunk field ${key} must be a non-negative integer`);
    }
  }
  if (!Array.isArray(packed.biomes) || !packed.biomes.every((name) => typeof name === "string")) {
    throw new TypeError("packed chunk field biomes must be an array of names");
  }
  if (typeof packed.price_by_biome !== "object" || packed.price_by_biome === null) {
    throw new TypeError("packed chunk field price_by_biome must be an object");
  }
  const landCount = packed.width * packed.height;
  return {
    cx: packed.cx,
    cy: packed.cy,
    x0: packed.x0,
    y0: packed.y0,
    width: packed.width,
    height: packed.height,
    biomes: packed.biomes,
    biome: base64Field(packed, "biome", landCount),
    elevation: base64Field(packed, "elevation", landCount * 2),
    color: base64Field(packed, "color", landCount * 3),
    priceByBiome: packed.price_by_biome,
  };
}

/** Index of land (x, y) in an unpacked chunk's per-land arrays (row-major). */
export function landIndex(chunk: Pick<UnpackedChunk, "x0" | "y0" | "width">, x: number, y: number): number {
  return (y - chunk.y0) * chunk.width + (x - chunk.x0);
}

/** The elevation (0–1, quantised) of the k-th land of packed elevation bytes. */
export function elevationAt(elevation: Uint8Array, k: number): number {
  return ((elevation[2 * k] ?? 0) | ((elevation[2 * k + 1] ?? 0) << 8)) / ELEVATION_QUANTUM;
}

/** round(e × 65535) of each elevation as uint16 little-endian bytes (explicit byte order, not the host's). */
export function quantizeElevations(elevations: Float32Array): Uint8Array {
  const bytes = new Uint8Array(elevations.length * 2);
  for (let k = 0; k < elevations.length; k++) {
    const q = Math.round((elevations[k] as number) * ELEVATION_QUANTUM);
    bytes[2 * k] = q & 0xff;
    bytes[2 * k + 1] = q >>> 8;
  }
  return bytes;
}

function base64Field(packed: PackedChunk, key: "biome" | "elevation" | "color", expectedLength: number): Uint8Array {
  const text = packed[key];
  if (typeof text !== "string") throw new TypeError(`packed chunk field ${key} must be a base64 string`);
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(text);
  } catch {
    throw new TypeError(`packed chunk field ${key} is not base64`);
  }
  if (bytes.length !== expectedLength) {
    throw new TypeError(`packed chunk field ${key} holds ${bytes.length} bytes, expected ${expectedLength}`);
  }
  return bytes;
}
