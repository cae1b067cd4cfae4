/**
 * Which `chunk` rooms a simulated player keeps joined. A player watches the
 * 3×3 chunks around the chunk it stands in; it joins a chunk as soon as the
 * chunk enters that 3×3 block, but leaves it only once it stands more than
 * `margin` lands beyond the area from which the chunk is in the block, so
 * walking along a chunk border does not join and leave the same room over and
 * over. Pure.
 */

export interface ChunkGrid {
  /** Lands per chunk side (32). */
  chunkSize: number;
  /** Chunks along x and y (the last ones may be partial). */
  chunkCountX: number;
  chunkCountY: number;
}

export interface ChunkCoord {
  cx: number;
  cy: number;
}

/** Lands beyond the border before a chunk is left: enough not to flap on a border. */
export const DEFAULT_LEAVE_MARGIN = 8;

export const chunkKey = (cx: number, cy: number): string => `${cx},${cy}`;

export function parseChunkKey(key: string): ChunkCoord {
  const [cx, cy] = key.split(",").map(Number);
  return { cx: cx ?? 0, cy: cy ?? 0 };
}

export function chunkOfLand(x: number, y: number, grid: ChunkGrid): ChunkCoord {
  return {
    cx: clamp(Math.floor(x / grid.chunkSize), 0, grid.chunkCountX - 1),
    cy: clamp(Math.floor(y / grid.chunkSize), 0, grid.chunkCountY - 1),
  };
}

/** The chunks of the 3×3 block around the land (x, y), without those beyond the world. */
export function neededChunks(x: number, y: number, grid: ChunkGrid): ChunkCoord[] {
  const centre = chunkOfLand(Math.floor(x), Math.floor(y), grid);
  const chunks: ChunkCoord[] = [];
  for (let cy = centre.cy - 1; cy <= centre.cy + 1; cy++) {
    for (let cx = centre.cx - 1; cx <= centre.cx + 1; cx++) {
      if (cx >= 0 && cy >= 0 && cx < grid.chunkCountX && cy < grid.chunkCountY) chunks.push({ cx, cy });
    }
  }
  return chunks;
}

/**
 * How many lands the land (lx, ly) lies outside the area of lands from which
 * chunk (cx, cy) is in the 3×3 block (Chebyshev distance; 0 inside).
 */
export function landsOutsideChunkArea(lx: number, ly: number, chunk: ChunkCoord, chunkSize: number): number {
  const distance = (value: number, low: number, high: number) => (value < low ? low - value : value > high ? value - high : 0);
  const dx = distance(lx, (chunk.cx - 1) * chunkSize, (chunk.cx + 2) * chunkSize - 1);
  const dy = distance(ly, (chunk.cy - 1) * chunkSize, (chunk.cy + 2) * chunkSize - 1);
  return Math.max(dx, dy);
}

export interface ChunkPlan {
  join: ChunkCoord[];
  leave: ChunkCoord[];
}

/**
 * What to join and leave for a player at (x, y) that has joined (or is
 * joining) the chunks keyed in `joined`: join the 3×3 block's chunks not yet
 * joined; leave joined chunks the player stands more than `margin` lands
 * beyond.
 */
export function planChunkMoves(
  x: number,
  y: number,
  joined: Iterable<string>,
  grid: ChunkGrid,
  margin: number = DEFAULT_LEAVE_MARGIN,
): ChunkPlan {
  const lx = Math.floor(x);
  const ly = Math.floor(y);
  const have = new Set(joined);
  const join = neededChunks(lx, ly, grid).filter(({ cx, cy }) => !have.has(chunkKey(cx, cy)));
  const leave: ChunkCoord[] = [];
  for (const key of have) {
    const chunk = parseChunkKey(key);
    if (landsOutsideChunkArea(lx, ly, chunk, grid.chunkSize) > margin) leave.push(chunk);
  }
  return { join, leave };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
