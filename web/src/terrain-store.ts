/**
 * Chunk terrain from the cacheable `GET /world/chunks/:cx/:cy` (the browser's
 * HTTP cache honours its max-age and ETag), decoded once and drawn once per
 * zoom level into a bitmap, so panning only copies bitmaps.
 */
import type { PackedChunk } from "../../src/domain/world/packed-chunk.js";
import { api } from "./api.js";
import { decodePackedChunk, type ChunkTerrain } from "./packed-terrain.js";
import { chunkKey, ROW_HEIGHT, triangleCorners } from "./world-geometry.js";

const MAX_PARALLEL_FETCHES = 6;
const MAX_DECODED_CHUNKS = 800;
/** Bitmaps are kept up to about this many pixels in all (4 bytes each). */
const BITMAP_PIXEL_BUDGET = 24_000_000;
const RETRY_AFTER_FAILURE_MS = 3_000;

type Bitmap = HTMLCanvasElement | OffscreenCanvas;

export class TerrainStore {
  onLoaded: () => void = () => undefined;
  onError: (error: unknown) => void = () => undefined;

  private readonly decoded = new Map<string, ChunkTerrain>();
  private readonly failedAt = new Map<string, number>();
  private readonly queue: string[] = [];
  private inFlight = 0;
  private readonly requested = new Set<string>();
  private readonly bitmaps = new Map<string, { bitmap: Bitmap; pixels: number }>();
  private bitmapPixels = 0;

  /** The decoded chunk, or undefined while it loads (the load is started here). */
  get(cx: number, cy: number): ChunkTerrain | undefined {
    const key = chunkKey(cx, cy);
    const chunk = this.decoded.get(key);
    if (chunk) {
      // Map order is insertion order: re-inserting marks it recently used.
      this.decoded.delete(key);
      this.decoded.set(key, chunk);
      return chunk;
    }
    if (!this.requested.has(key) && Date.now() - (this.failedAt.get(key) ?? 0) > RETRY_AFTER_FAILURE_MS) {
      this.requested.add(key);
      this.queue.push(key);
      this.pump();
    }
    return undefined;
  }

  get pendingCount(): number {
    return this.requested.size;
  }

  private pump(): void {
    while (this.inFlight < MAX_PARALLEL_FETCHES && this.queue.length > 0) {
      const key = this.queue.pop()!; // newest first: what the player just scrolled to
      const [cx, cy] = key.split(",");
      this.inFlight++;
      api<PackedChunk>(`/world/chunks/${cx}/${cy}`)
        .then((packed) => {
          this.decoded.set(key, decodePackedChunk(packed));
          this.evictDecoded();
          this.onLoaded();
        })
        .catch((error: unknown) => {
          this.failedAt.set(key, Date.now());
          this.onError(error);
          // Asking for a redraw after the pause makes the map request the chunk again.
          setTimeout(() => this.onLoaded(), RETRY_AFTER_FAILURE_MS + 50);
        })
        .finally(() => {
          this.inFlight--;
          this.requested.delete(key);
          this.pump();
        });
    }
  }

  private evictDecoded(): void {
    while (this.decoded.size > MAX_DECODED_CHUNKS) {
      const oldest = this.decoded.keys().next().value as string;
      this.decoded.delete(oldest);
    }
  }

  /**
   * The chunk drawn at `pixelsPerUnit` (a power of two), or undefined if it
   * is not loaded or `allowRender` is false and it has not been drawn yet
   * (the map limits how many it draws per frame).
   */
  hasBitmap(chunk: ChunkTerrain, pixelsPerUnit: number): boolean {
    return this.bitmaps.has(`${chunk.cx},${chunk.cy}@${pixelsPerUnit}`);
  }

  bitmap(chunk: ChunkTerrain, pixelsPerUnit: number, allowRender: boolean): Bitmap | undefined {
    const key = `${chunk.cx},${chunk.cy}@${pixelsPerUnit}`;
    const cached = this.bitmaps.get(key);
    if (cached) {
      this.bitmaps.delete(key);
      this.bitmaps.set(key, cached);
      return cached.bitmap;
    }
    if (!allowRender) return undefined;
    const bitmap = renderChunk(chunk, pixelsPerUnit);
    const pixels = bitmap.width * bitmap.height;
    this.bitmaps.set(key, { bitmap, pixels });
    this.bitmapPixels += pixels;
    while (this.bitmapPixels > BITMAP_PIXEL_BUDGET && this.bitmaps.size > 1) {
      const [oldestKey, oldest] = this.bitmaps.entries().next().value as [string, { pixels: number }];
      this.bitmaps.delete(oldestKey);
      this.bitmapPixels -= oldest.pixels;
    }
    return bitmap;
  }
}

/** The map-unit rectangle a chunk's bitmap covers. */
export function chunkUnitRect(chunk: ChunkTerrain): { u: number; v: number; width: number; height: number } {
  return { u: chunk.x0 / 2, v: chunk.y0 * ROW_HEIGHT, width: chunk.width / 2 + 0.5, height: chunk.height * ROW_HEIGHT };
}

function renderChunk(chunk: ChunkTerrain, scale: number): Bitmap {
  const rect = chunkUnitRect(chunk);
  const width = Math.ceil(rect.width * scale);
  const height = Math.ceil(rect.height * scale);
  const bitmap: Bitmap = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(width, height) : Object.assign(document.createElement("canvas"), { width, height });
  const context = bitmap.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  // A hairline stroke in the land's own colour closes the anti-aliasing seams between triangles.
  context.lineWidth = 0.6;
  context.lineJoin = "round";
  let k = 0;
  for (let j = 0; j < chunk.height; j++) {
    for (let i = 0; i < chunk.width; i++, k++) {
      const x = chunk.x0 + i;
      const y = chunk.y0 + j;
      const colour = `rgb(${chunk.color[3 * k]},${chunk.color[3 * k + 1]},${chunk.color[3 * k + 2]})`;
      const c = triangleCorners(x, y);
      context.beginPath();
      context.moveTo((c[0] - rect.u) * scale, (c[1] - rect.v) * scale);
      context.lineTo((c[2] - rect.u) * scale, (c[3] - rect.v) * scale);
      context.lineTo((c[4] - rect.u) * scale, (c[5] - rect.v) * scale);
      context.closePath();
      context.fillStyle = colour;
      context.strokeStyle = colour;
      context.fill();
      context.stroke();
    }
  }
  return bitmap;
}
