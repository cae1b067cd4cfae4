/**
 * Draws the minimap's overview of the whole world off the main thread.
 * Terrain is a pure function of the world config (PROTOCOL.md, "World
 * geometry"), so the overview is computed here from `GET /world` with the
 * project's own generator instead of downloading every chunk; one sample per
 * minimap pixel.
 */
import { landTerrain } from "../../src/domain/world/land-terrain.js";
import type { WorldConfig } from "../../src/domain/world/world-config.js";
import { landAt, worldUnits } from "./world-geometry.js";

export interface MinimapRequest {
  config: WorldConfig;
  width: number;
  height: number;
}

self.onmessage = (event: MessageEvent<MinimapRequest>) => {
  const { config, width, height } = event.data;
  const world = { width: config.worldWidth, height: config.worldHeight, chunkSize: config.chunkSize };
  const units = worldUnits(world);
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const land = landAt(((i + 0.5) / width) * units.width, ((j + 0.5) / height) * units.height, world);
      const offset = 4 * (j * width + i);
      if (!land) continue;
      const hex = landTerrain(config, land.x, land.y).color_hex;
      pixels[offset] = parseInt(hex.slice(1, 3), 16);
      pixels[offset + 1] = parseInt(hex.slice(3, 5), 16);
      pixels[offset + 2] = parseInt(hex.slice(5, 7), 16);
      pixels[offset + 3] = 255;
    }
  }
  (self as unknown as Worker).postMessage({ width, height, pixels }, [pixels.buffer]);
};
