/**
 * Geometry of the triangle lattice and its chunking. Pure integer arithmetic
 * except for the centroid, which only uses exactly-rounded IEEE operations.
 */
import type { WorldConfig } from "./world-config.js";

/** Height of an equilateral triangle with side 1. */
export const ROW_HEIGHT = Math.sqrt(3) / 2;
const UP_CENTROID_OFFSET = (2 * ROW_HEIGHT) / 3;
const DOWN_CENTROID_OFFSET = ROW_HEIGHT / 3;

export interface ChunkCoords {
  cx: number;
  cy: number;
}

/** A land at (x, y) points up when x + y is even, down otherwise. */
export function pointsUp(x: number, y: number): boolean {
  return ((x + y) & 1) === 0;
}

/** The chunk holding land (x, y): (floor(x / chunkSize), floor(y / chunkSize)). */
export function chunkOf(x: number, y: number, chunkSize: number): ChunkCoords {
  return { cx: Math.floor(x / chunkSize), cy: Math.floor(y / chunkSize) };
}

/** The wire id of a chunk: `chunk_{cx}_{cy}`. */
export function chunkId(cx: number, cy: number): string {
  return `chunk_${cx}_${cy}`;
}

const CHUNK_ID_PATTERN = /^chunk_(0|[1-9]\d{0,8})_(0|[1-9]\d{0,8})$/;

/**
 * Parses a `chunk_{cx}_{cy}` id (non-negative, no leading zeros).
 *
 * @throws RangeError if the id is malformed. Whether the chunk exists is a separate question (`chunkExists`).
 */
export function parseChunkId(id: string): ChunkCoords {
  const match = CHUNK_ID_PATTERN.exec(id);
  if (match === null) throw new RangeError(`not a chunk id: ${JSON.stringify(id)}`);
  return { cx: Number(match[1]), cy: Number(match[2]) };
}

/** Number of chunk columns; the last one is partial when the width is not a multiple of the chunk size. */
export function chunkCountX(config: WorldConfig): number {
  return Math.ceil(config.worldWidth / config.chunkSize);
}

/** Number of chunk rows; the last one is partial when the height is not a multiple of the chunk size. */
export function chunkCountY(config: WorldConfig): number {
  return Math.ceil(config.worldHeight / config.chunkSize);
}

/** Whether chunk (cx, cy) holds at least one land of the world. */
export function chunkExists(config: WorldConfig, cx: number, cy: number): boolean {
  return (
    Number.isInteger(cx) &&
    Number.isInteger(cy) &&
    cx >= 0 &&
    cy >= 0 &&
    cx < chunkCountX(config) &&
    cy < chunkCountY(config)
  );
}

/** Whether land (x, y) exists. */
export function landExists(config: WorldConfig, x: number, y: number): boolean {
  return (
    Number.isInteger(x) &&
    Number.isInteger(y) &&
    x >= 0 &&
    y >= 0 &&
    x < config.worldWidth &&
    y < config.worldHeight
  );
}

/*
 * Centroid of land (x, y) in units of one triangle side, y growing downwards.
 * Triangles of a row overlap by half a side, so land x spans [x/2, x/2 + 1]
 * horizontally; row y spans [y·h, (y+1)·h] with h = √3/2. An up-pointing
 * triangle has its base at the bottom, so its centroid is 2h/3 below the row's
 * top; a down-pointing one h/3. Sampling noise at true centroids keeps the
 * world isotropic (sampling at the raw (x, y) would squeeze every feature
 * horizontally by a factor √3 relative to vertically). The chunk generator and
 * `landTerrain` both call these exact functions, so both see bit-identical
 * coordinates.
 */

/** Horizontal centroid coordinate of land x (any row). */
export function centroidX(x: number): number {
  return x * 0.5 + 0.5;
}

/** Vertical centroid coordinate of land (x, y). */
export function centroidY(x: number, y: number): number {
  return y * ROW_HEIGHT + (((x + y) & 1) === 0 ? UP_CENTROID_OFFSET : DOWN_CENTROID_OFFSET);
}
