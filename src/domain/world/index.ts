/**
 * World generation: pure, deterministic terrain of the triangle-land world.
 * See docs/WORLD.md for the method and the packed chunk format.
 */
export {
  BIOMES,
  BIOME_INDEX,
  DEFAULT_WORLD_CONFIG,
  validateWorldConfig,
  type Biome,
  type NoiseSettings,
  type WorldConfig,
} from "./world-config.js";
export {
  chunkCountX,
  chunkCountY,
  chunkExists,
  chunkId,
  chunkOf,
  landExists,
  parseChunkId,
  pointsUp,
  type ChunkCoords,
} from "./world-lattice.js";
export { deriveBiomeThresholds, classifyBiome, type BiomeThresholds } from "./biome-thresholds.js";
export { deriveNoiseSeed } from "./seed-derivation.js";
export { BIOME_BASE_COLORS } from "./terrain-colors.js";
export { biomePrices } from "./terrain-model.js";
export { generateChunk, type ChunkTerrain } from "./chunk-generator.js";
export { landTerrain, type LandTerrain } from "./land-terrain.js";
export {
  decodeChunkPacked,
  encodeChunkPacked,
  ELEVATION_QUANTUM,
  PACKED_CHUNK_FORMAT,
  type PackedChunk,
} from "./packed-chunk.js";
export { chunkHash } from "./chunk-hash.js";
