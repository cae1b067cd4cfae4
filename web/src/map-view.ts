/**
 * The world map on a canvas: terrain bitmaps per chunk, the live overlay of
 * owned, fenced, listed and in-auction lands on top, and the selected land.
 * Pan with a pointer drag, the arrow keys or the minimap; zoom with the
 * wheel, a pinch, + and −. It redraws only when something changed, in one
 * animation frame.
 */
import type { LandOverlay } from "./chunk-rooms.js";
import { chunkUnitRect, type TerrainStore } from "./terrain-store.js";
import { chunksInView, landAt, landCentroid, ROW_HEIGHT, triangleCorners, worldUnits, type ChunkRange, type WorldSize } from "./world-geometry.js";

export const MIN_SCALE = 5;
export const MAX_SCALE = 160;
/** Chunk bitmaps drawn per frame at most: the rest follow in the next frames, so panning never stalls. */
const BITMAPS_PER_FRAME = 4;

/** How each kind of land is marked (also the legend's colours). */
export const OVERLAY_STYLE = {
  mine: "rgba(255, 193, 7, 0.62)",
  owned: "rgba(156, 39, 176, 0.55)",
  listed: "rgba(0, 188, 212, 0.62)",
  auction: "rgba(255, 87, 34, 0.68)",
} as const;

export function overlayKind(land: LandOverlay, myUserId: string | undefined): keyof typeof OVERLAY_STYLE | undefined {
  if (land.for_sale && land.listing_type === "auction") return "auction";
  if (land.for_sale) return "listed";
  if (land.owner_id && land.owner_id === myUserId) return "mine";
  if (land.owner_id) return "owned";
  return undefined;
}

export interface MapViewDeps {
  world: WorldSize;
  terrain: TerrainStore;
  overlay: () => Iterable<LandOverlay>;
  myUserId: () => string | undefined;
  onSelect: (x: number, y: number) => void;
  onViewChange: () => void;
}

export class MapView {
  centerU: number;
  centerV: number;
  scale = 22;
  selected: { x: number; y: number } | undefined;

  private readonly context: CanvasRenderingContext2D;
  private frameRequested = false;
  private cssWidth = 0;
  private cssHeight = 0;
  private readonly pointers = new Map<number, { x: number; y: number }>();
  private dragStart: { x: number; y: number } | undefined;
  private dragged = false;
  private pinchDistance = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly deps: MapViewDeps,
  ) {
    const context = canvas.getContext("2d", { alpha: false });
    if (!context) throw new Error("this browser cannot draw on a canvas");
    this.context = context;
    const units = worldUnits(deps.world);
    this.centerU = units.width / 2;
    this.centerV = units.height / 2;
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    this.listen();
  }

  /** The map rectangle in view, in map units. */
  viewRect(): { u0: number; v0: number; u1: number; v1: number } {
    const halfW = this.cssWidth / 2 / this.scale;
    const halfH = this.cssHeight / 2 / this.scale;
    return { u0: this.centerU - halfW, v0: this.centerV - halfH, u1: this.centerU + halfW, v1: this.centerV + halfH };
  }

  visibleChunks(): ChunkRange | undefined {
    const r = this.viewRect();
    return chunksInView(r.u0, r.v0, r.u1, r.v1, this.deps.world);
  }

  goToLand(x: number, y: number): void {
    const { u, v } = landCentroid(x, y);
    this.centerOn(u, v);
  }

  centerOn(u: number, v: number): void {
    const units = worldUnits(this.deps.world);
    this.centerU = Math.min(units.width, Math.max(0, u));
    this.centerV = Math.min(units.height, Math.max(0, v));
    this.changed();
  }

  panBy(dxCss: number, dyCss: number): void {
    this.centerOn(this.centerU - dxCss / this.scale, this.centerV - dyCss / this.scale);
  }

  /** Zooms by `factor`, keeping the map point under (sx, sy) (CSS pixels; the centre by default) where it is. */
  zoomBy(factor: number, sx = this.cssWidth / 2, sy = this.cssHeight / 2): void {
    const before = this.toMap(sx, sy);
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const after = this.toMap(sx, sy);
    this.centerOn(this.centerU + before.u - after.u, this.centerV + before.v - after.v);
  }

  /** The land at the centre of the view (what Enter selects). */
  centerLand(): { x: number; y: number } | undefined {
    return landAt(this.centerU, this.centerV, this.deps.world);
  }

  select(x: number, y: number): void {
    this.selected = { x, y };
    this.requestRender();
  }

  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  private changed(): void {
    this.canvas.dataset.centerU = this.centerU.toFixed(3);
    this.canvas.dataset.centerV = this.centerV.toFixed(3);
    this.canvas.dataset.scale = this.scale.toFixed(3);
    this.requestRender();
    this.deps.onViewChange();
  }

  private toMap(sx: number, sy: number): { u: number; v: number } {
    return { u: this.centerU + (sx - this.cssWidth / 2) / this.scale, v: this.centerV + (sy - this.cssHeight / 2) / this.scale };
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const rect = this.canvas.getBoundingClientRect();
    this.cssWidth = Math.max(1, rect.width);
    this.cssHeight = Math.max(1, rect.height);
    this.canvas.width = Math.round(this.cssWidth * dpr);
    this.canvas.height = Math.round(this.cssHeight * dpr);
    this.changed();
  }

  private render(): void {
    const { context } = this;
    const dpr = window.devicePixelRatio || 1;
    context.setTransform(dpr, 0, 0, dpr, 0, 0);
    context.fillStyle = "#10151c";
    context.fillRect(0, 0, this.cssWidth, this.cssHeight);
    const ox = this.cssWidth / 2 - this.centerU * this.scale;
    const oy = this.cssHeight / 2 - this.centerV * this.scale;

    // The world's outline, so the edge of the world reads as an edge.
    const units = worldUnits(this.deps.world);
    context.fillStyle = "#1c2632";
    context.fillRect(ox, oy, units.width * this.scale, units.height * this.scale);

    const range = this.visibleChunks();
    let rendersLeft = BITMAPS_PER_FRAME;
    let missing = false;
    // Bitmaps at the power of two nearest the device scale: sharp enough, and few sizes to cache.
    const bucket = 2 ** Math.min(5, Math.max(1, Math.round(Math.log2(this.scale * dpr))));
    if (range) {
      for (let cy = range.cy0; cy <= range.cy1; cy++) {
        for (let cx = range.cx0; cx <= range.cx1; cx++) {
          const chunk = this.deps.terrain.get(cx, cy);
          if (!chunk) {
            missing = true;
            continue;
          }
          const fresh = !this.deps.terrain.hasBitmap(chunk, bucket);
          const bitmap = this.deps.terrain.bitmap(chunk, bucket, rendersLeft > 0);
          if (!bitmap) {
            missing = true;
            continue;
          }
          if (fresh) rendersLeft--;
          const r = chunkUnitRect(chunk);
          context.drawImage(bitmap, ox + r.u * this.scale, oy + r.v * this.scale, (bitmap.width / bucket) * this.scale, (bitmap.height / bucket) * this.scale);
        }
      }
    }
    this.drawOverlay(ox, oy);
    this.drawSelection(ox, oy);
    this.canvas.dataset.ready = missing ? "false" : "true";
    if (missing && rendersLeft <= 0) this.requestRender(); // more bitmaps to draw next frame
  }

  private trianglePath(x: number, y: number, ox: number, oy: number): void {
    const c = triangleCorners(x, y);
    const s = this.scale;
    this.context.beginPath();
    this.context.moveTo(ox + c[0] * s, oy + c[1] * s);
    this.context.lineTo(ox + c[2] * s, oy + c[3] * s);
    this.context.lineTo(ox + c[4] * s, oy + c[5] * s);
    this.context.closePath();
  }

  private drawOverlay(ox: number, oy: number): void {
    const { context } = this;
    const view = this.viewRect();
    const me = this.deps.myUserId();
    for (const land of this.deps.overlay()) {
      const u = land.x / 2;
      const v = land.y * ROW_HEIGHT;
      if (u + 1 < view.u0 || u > view.u1 || v + 1 < view.v0 || v > view.v1) continue;
      const kind = overlayKind(land, me);
      if (!kind) continue;
      this.trianglePath(land.x, land.y, ox, oy);
      context.fillStyle = OVERLAY_STYLE[kind];
      context.fill();
      if (land.fenced && this.scale >= 8) {
        // A fence: a dark dashed border inside the land.
        context.setLineDash([Math.max(2, this.scale / 8), Math.max(2, this.scale / 10)]);
        context.lineWidth = Math.max(1, this.scale / 14);
        context.strokeStyle = "rgba(20, 20, 20, 0.9)";
        context.stroke();
        context.setLineDash([]);
      }
    }
  }

  private drawSelection(ox: number, oy: number): void {
    if (!this.selected) return;
    const { context } = this;
    this.trianglePath(this.selected.x, this.selected.y, ox, oy);
    context.lineWidth = Math.max(2, this.scale / 10);
    context.strokeStyle = "#ffffff";
    context.stroke();
    context.lineWidth = 1;
    context.strokeStyle = "#000000";
    context.stroke();
  }

  private listen(): void {
    const { canvas } = this;
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.pointers.set(event.pointerId, { x: event.offsetX, y: event.offsetY });
      if (this.pointers.size === 1) {
        this.dragStart = { x: event.offsetX, y: event.offsetY };
        this.dragged = false;
      } else if (this.pointers.size === 2) {
        this.pinchDistance = this.pointerDistance();
        this.dragged = true;
      }
    });
    canvas.addEventListener("pointermove", (event) => {
      const previous = this.pointers.get(event.pointerId);
      if (!previous) return;
      const current = { x: event.offsetX, y: event.offsetY };
      this.pointers.set(event.pointerId, current);
      if (this.pointers.size === 2) {
        const distance = this.pointerDistance();
        if (this.pinchDistance > 0 && distance > 0) this.zoomBy(distance / this.pinchDistance, current.x, current.y);
        this.pinchDistance = distance;
        return;
      }
      if (this.dragStart && Math.hypot(current.x - this.dragStart.x, current.y - this.dragStart.y) > 4) this.dragged = true;
      if (this.dragged) this.panBy(current.x - previous.x, current.y - previous.y);
    });
    const end = (event: PointerEvent) => {
      const wasSingle = this.pointers.size === 1;
      this.pointers.delete(event.pointerId);
      if (event.type === "pointerup" && wasSingle && !this.dragged) {
        const { u, v } = this.toMap(event.offsetX, event.offsetY);
        const land = landAt(u, v, this.deps.world);
        if (land) this.deps.onSelect(land.x, land.y);
      }
      if (this.pointers.size === 0) this.dragStart = undefined;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const lines = event.deltaMode === 1 ? 16 : 1;
        this.zoomBy(Math.exp(-event.deltaY * lines * 0.0015), event.offsetX, event.offsetY);
      },
      { passive: false },
    );
    canvas.addEventListener("keydown", (event) => {
      const step = event.shiftKey ? 240 : 80;
      const actions: Record<string, () => void> = {
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
        "+": () => this.zoomBy(1.25),
        "=": () => this.zoomBy(1.25),
        "-": () => this.zoomBy(0.8),
        Enter: () => {
          const land = this.centerLand();
          if (land) this.deps.onSelect(land.x, land.y);
        },
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    });
  }

  private pointerDistance(): number {
    const [a, b] = [...this.pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  }
}
