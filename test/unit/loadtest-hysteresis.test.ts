import { describe, expect, it } from "vitest";
import { chunkKey, landsOutsideChunkArea, neededChunks, planChunkMoves, type ChunkGrid } from "../../loadtest/chunk-hysteresis.js";

const grid: ChunkGrid = { chunkSize: 32, chunkCountX: 32, chunkCountY: 32 };
const keys = (chunks: Array<{ cx: number; cy: number }>) => chunks.map(({ cx, cy }) => chunkKey(cx, cy)).sort();

/** Walks a path, applying each plan, and returns the joined set and how many joins and leaves happened. */
function walk(path: Array<[number, number]>) {
  const joined = new Set<string>();
  let joins = 0;
  let leaves = 0;
  for (const [x, y] of path) {
    const plan = planChunkMoves(x, y, joined, grid);
    for (const chunk of plan.leave) {
      joined.delete(chunkKey(chunk.cx, chunk.cy));
      leaves++;
    }
    for (const chunk of plan.join) {
      joined.add(chunkKey(chunk.cx, chunk.cy));
      joins++;
    }
  }
  return { joined, joins, leaves };
}

describe("which chunk rooms a simulated player keeps", () => {
  it("joins the 3×3 chunks around its position", () => {
    expect(keys(neededChunks(100, 100, grid))).toEqual(keys([
      { cx: 2, cy: 2 }, { cx: 3, cy: 2 }, { cx: 4, cy: 2 },
      { cx: 2, cy: 3 }, { cx: 3, cy: 3 }, { cx: 4, cy: 3 },
      { cx: 2, cy: 4 }, { cx: 3, cy: 4 }, { cx: 4, cy: 4 },
    ]));
    expect(planChunkMoves(100, 100, [], grid).join).toHaveLength(9);
  });

  it("joins only the chunks that exist at the world's corner", () => {
    expect(keys(neededChunks(0, 0, grid))).toEqual(keys([{ cx: 0, cy: 0 }, { cx: 1, cy: 0 }, { cx: 0, cy: 1 }, { cx: 1, cy: 1 }]));
    expect(neededChunks(1023, 1023, grid)).toHaveLength(4);
  });

  it("joins new chunks as soon as it crosses a border but leaves old ones only more than 8 lands past it", () => {
    // Start in chunk 3 (x 96..127), walk east into chunk 4 (x ≥ 128).
    const start = walk([[120, 100]]);
    expect(start.joined.has("2,3")).toBe(true);
    const crossed = planChunkMoves(128, 100, start.joined, grid);
    expect(keys(crossed.join)).toEqual(["5,2", "5,3", "5,4"]);
    // Chunk column 2 is in the block while the player stands on x ≤ 127; land 128 is 1 land past that.
    expect(crossed.leave).toEqual([]);
    expect(planChunkMoves(135, 100, start.joined, grid).leave).toEqual([]); // 8 lands past: still kept
    expect(keys(planChunkMoves(136, 100, start.joined, grid).leave)).toEqual(["2,2", "2,3", "2,4"]); // 9 lands past: left
  });

  it("does not flap when wandering back and forth across a border", () => {
    const path: Array<[number, number]> = [[120, 100]];
    for (let i = 0; i < 50; i++) path.push([i % 2 === 0 ? 127 : 129, 100]);
    const { joins, leaves } = walk(path);
    expect(joins).toBe(12); // the first 9, then the 3 of chunk column 5, once
    expect(leaves).toBe(0);
  });

  it("measures the distance outside a chunk's area in lands (Chebyshev)", () => {
    // Chunk (4, 3) is in the 3×3 block for lands x ∈ [96, 191], y ∈ [64, 159].
    expect(landsOutsideChunkArea(96, 64, { cx: 4, cy: 3 }, 32)).toBe(0);
    expect(landsOutsideChunkArea(87, 100, { cx: 4, cy: 3 }, 32)).toBe(9);
    expect(landsOutsideChunkArea(192, 100, { cx: 4, cy: 3 }, 32)).toBe(1);
    expect(landsOutsideChunkArea(200, 170, { cx: 4, cy: 3 }, 32)).toBe(11);
  });
});
