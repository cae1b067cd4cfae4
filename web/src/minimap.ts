/**
 * The whole world in a corner: an overview drawn by a worker from the world
 * config, the view's rectangle on it, and a click (or Enter, arrows) to move
 * the map there.
 */
import type { WorldConfig } from "../../src/domain/world/world-config.js";
import type { MapView } from "./map-view.js";
import { worldUnits, type WorldSize } from "./world-geometry.js";

export interface WorldSummary {
  world_seed: number;
  world_width: number;
  world_height: number;
  chunk_size: number;
  noise: WorldConfig["noise"];
  biomes: Record<string, { percent: number; price_multiplier: number; price_bdt: number }>;
  pricing: { base_land_price_bdt: number; multipliers: Record<string, number> };
  transaction_fee_percent: number;
}

/** `GET /world` as the generator's config. */
export function worldConfigOf(summary: WorldSummary): WorldConfig {
  const shares = Object.fromEntries(Object.entries(summary.biomes).map(([name, biome]) => [name, biome.percent]));
  return {
    worldSeed: summary.world_seed,
    worldWidth: summary.world_width,
    worldHeight: summary.world_height,
    chunkSize: summary.chunk_size,
    noise: summary.noise,
    biomeShares: shares as WorldConfig["biomeShares"],
    basePriceBdt: summary.pricing.base_land_price_bdt,
    priceMultipliers: summary.pricing.multipliers as WorldConfig["priceMultipliers"],
  };
}

export class Minimap {
  private overview: ImageBitmap | undefined;
  private readonly context: CanvasRenderingContext2D;
  private readonly units: { width: number; height: number };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    world: WorldSize,
    config: WorldConfig,
    private readonly map: MapView,
  ) {
    this.context = canvas.getContext("2d")!;
    this.units = worldUnits(world);
    const width = 132;
    const height = Math.max(40, Math.min(240, Math.round((width * this.units.height) / this.units.width)));
    canvas.width = width;
    canvas.height = height;
    canvas.style.aspectRatio = `${width} / ${height}`;
    this.draw();
    const worker = new Worker(new URL("./minimap-worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = async (event: MessageEvent<{ width: number; height: number; pixels: Uint8ClampedArray<ArrayBuffer> }>) => {
      this.overview = await createImageBitmap(new ImageData(event.data.pixels, event.data.width, event.data.height));
      canvas.dataset.ready = "true";
      worker.terminate();
      this.draw();
    };
    worker.postMessage({ config, width, height });

    const moveTo = (clientX: number, clientY: number) => {
      const rect = canvas.getBoundingClientRect();
      map.centerOn(((clientX - rect.left) / rect.width) * this.units.width, ((clientY - rect.top) / rect.height) * this.units.height);
    };
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      moveTo(event.clientX, event.clientY);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (canvas.hasPointerCapture(event.pointerId)) moveTo(event.clientX, event.clientY);
    });
    canvas.addEventListener("keydown", (event) => {
      const step = this.units.width / 16;
      const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      map.centerOn(map.centerU + move[0], map.centerV + move[1]);
    });
  }

  draw(): void {
    const { context, canvas } = this;
    context.fillStyle = "#1c2632";
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (this.overview) context.drawImage(this.overview, 0, 0, canvas.width, canvas.height);
    else {
      context.fillStyle = "#9fb3c8";
      context.font = "11px sans-serif";
      context.fillText("drawing…", 8, 16);
    }
    const view = this.map.viewRect();
    const sx = canvas.width / this.units.width;
    const sy = canvas.height / this.units.height;
    context.strokeStyle = "#ffffff";
    context.lineWidth = 1.5;
    context.strokeRect(view.u0 * sx, view.v0 * sy, Math.max(2, (view.u1 - view.u0) * sx), Math.max(2, (view.v1 - view.v0) * sy));
  }
}
