/**
 * Where each triangle land sits on the map (PROTOCOL.md, "World geometry";
 * docs/WORLD.md). Map units are triangle sides, y growing downwards: land x
 * spans [x/2, x/2 + 1] and row y spans [y·h, (y+1)·h] with h = √3/2. Pure.
 */
export const ROW_HEIGHT = Math.sqrt(3) / 2;

export interface WorldSize {
  width: number;
  height: number;
  chunkSize: number;
}

export interface ChunkCoord {
  cx: number;
  cy: number;
}

/** Inclusive range of chunks. */
export interface ChunkRange {
  cx0: number;
  cy0: number;
  cx1: number;
  cy1: number;
}

export function pointsUp(x: number, y: number): boolean {
  return (x + y) % 2 === 0;
}

/** The three corners of land (x, y) in map units. */
export function triangleCorners(x: number, y: number): [number, number, number, number, number, number] {
  const left = x / 2;
  const top = y * ROW_HEIGHT;
  const bottom = top + ROW_HEIGHT;
  return pointsUp(x, y)
    ? [left + 0.5, top, left + 1, bottom, left, bottom]
    : [left, top, left + 1, top, left + 0.5, bottom];
}

/** The triangle's centroid: the point the map centres on when it goes to a land. */
export function landCentroid(x: number, y: number): { u: number; v: number } {
  return { u: x / 2 + 0.5, v: y * ROW_HEIGHT + (pointsUp(x, y) ? (2 * ROW_HEIGHT) / 3 : ROW_HEIGHT / 3) };
}

export function worldUnits(world: WorldSize): { width: number; height: number } {
  return { width: world.width / 2 + 0.5, height: world.height * ROW_HEIGHT };
}

/** The land under map point (u, v), or undefined outside the world. */
export function landAt(u: number, v: number, world: WorldSize): { x: number; y: number } | undefined {
  const y = Math.floor(v / ROW_HEIGHT);
  if (y < 0 || y >= world.height) return undefined;
  const depth = v / ROW_HEIGHT - y; // 0 at the row's top, 1 at its bottom
  const first = Math.floor(2 * u) - 1;
  for (const x of [first, first + 1]) {
    if (x < 0 || x >= world.width) continue;
    const middle = x / 2 + 0.5;
    const halfWidth = pointsUp(x, y) ? depth / 2 : (1 - depth) / 2;
    if (u >= middle - halfWidth && u <= middle + halfWidth) return { x, y };
  }
  return undefined;
}

export function chunkCounts(world: WorldSize): { x: number; y: number } {
  return { x: Math.ceil(world.width / world.chunkSize), y: Math.ceil(world.height / world.chunkSize) };
}

export function chunkOfLand(x: number, y: number, world: WorldSize): ChunkCoord {
  return { cx: Math.floor(x / world.chunkSize), cy: Math.floor(y / world.chunkSize) };
}

/** The chunks that touch the map rectangle [u0, u1] × [v0, v1], clamped to the world; undefined if none. */
export function chunksInView(u0: number, v0: number, u1: number, v1: number, world: WorldSize): ChunkRange | undefined {
  const counts = chunkCounts(world);
  const x0 = Math.floor(2 * u0) - 1;
  const x1 = Math.ceil(2 * u1);
  const y0 = Math.floor(v0 / ROW_HEIGHT);
  const y1 = Math.floor(v1 / ROW_HEIGHT);
  const range = {
    cx0: Math.max(0, Math.floor(x0 / world.chunkSize)),
    cy0: Math.max(0, Math.floor(y0 / world.chunkSize)),
    cx1: Math.min(counts.x - 1, Math.floor(x1 / world.chunkSize)),
    cy1: Math.min(counts.y - 1, Math.floor(y1 / world.chunkSize)),
  };
  return range.cx0 > range.cx1 || range.cy0 > range.cy1 ? undefined : range;
}

export function rangeSize(range: ChunkRange | undefined): number {
  return range ? (range.cx1 - range.cx0 + 1) * (range.cy1 - range.cy0 + 1) : 0;
}

export const chunkKey = (cx: number, cy: number): string => `${cx},${cy}`;

export function parseChunkKey(key: string): ChunkCoord {
  const [cx, cy] = key.split(",").map(Number);
  return { cx: cx ?? 0, cy: cy ?? 0 };
}
