/**
 * Which `chunk` rooms the map keeps joined. It joins every chunk in view as
 * soon as it appears, but leaves a joined chunk only once it is more than
 * `margin` chunks outside the view, so panning back and forth across a chunk
 * border does not join and leave the same room over and over. Zoomed out
 * beyond `maxRooms` chunks in view, it joins nothing new (each room is its own
 * WebSocket); the terrain still shows. Pure.
 */
import { chunkKey, parseChunkKey, rangeSize, type ChunkCoord, type ChunkRange } from "./world-geometry.js";

export interface RoomPlan {
  join: ChunkCoord[];
  leave: ChunkCoord[];
  /** Too many chunks in view to follow them all live. */
  tooFarOut: boolean;
}

export function planChunkRooms(
  view: ChunkRange | undefined,
  joined: Iterable<string>,
  options: { margin: number; maxRooms: number; pinned?: ReadonlySet<string> },
): RoomPlan {
  const have = new Set(joined);
  const tooFarOut = rangeSize(view) > options.maxRooms;
  const join: ChunkCoord[] = [];
  if (view && !tooFarOut) {
    for (let cy = view.cy0; cy <= view.cy1; cy++) {
      for (let cx = view.cx0; cx <= view.cx1; cx++) if (!have.has(chunkKey(cx, cy))) join.push({ cx, cy });
    }
  }
  for (const key of options.pinned ?? []) if (!have.has(key) && !join.some((c) => chunkKey(c.cx, c.cy) === key)) join.push(parseChunkKey(key));
  const leave: ChunkCoord[] = [];
  for (const key of have) {
    if (options.pinned?.has(key)) continue;
    const { cx, cy } = parseChunkKey(key);
    const outside = !view
      ? Infinity
      : Math.max(view.cx0 - cx, cx - view.cx1, view.cy0 - cy, cy - view.cy1, 0);
    if (outside > options.margin) leave.push({ cx, cy });
  }
  return { join, leave, tooFarOut };
}
