/**
 * Terrain of a single land without generating its chunk – through the same
 * functions as `generateChunk`, so the values are identical to the chunk's.
 */
import { classifyBiome } from "./biome-thresholds.js";
import { rgbToHex, shadeIndex } from "./terrain-colors.js";
import { landElevation, landMoisture } from "./terrain-fields.js";
import { terrainModelFor } from "./terrain-model.js";
import { BIOMES, type Biome, type WorldConfig } from "./world-config.js";
import { landExists } from "./world-lattice.js";

/** One land's terrain in wire naming. */
export interface LandTerrain {
  x: number;
  y: number;
  biome: Biome;
  /** In [0, 1]. */
  elevation: number;
  /** "#rrggbb", lowercase. */
  color_hex: string;
  price_bdt: number;
}

/**
 * The terrain of land (x, y); equal to what `generateChunk` gives for it
 * (elevation is the chunk's float32 value).
 *
 * @throws RangeError if the land is outside the world or the config is invalid.
 */
export function landTerrain(config: WorldConfig, x: number, y: number): LandTerrain {
  const { fields, thresholds, colorTable, priceByIndex } = terrainModelFor(config);
  if (!landExists(config, x, y)) {
    throw new RangeError(
      `land (${x}, ${y}) is outside the world of ${config.worldWidth} × ${config.worldHeight} lands`,
    );
  }
  const elevation = landElevation(fields, x, y);
  const biomeIndex = classifyBiome(thresholds, elevation, landMoisture(fields, x, y));
  const shade = shadeIndex(biomeIndex, elevation);
  return {
    x,
    y,
    biome: BIOMES[biomeIndex] as Biome,
    elevation,
    color_hex: rgbToHex(colorTable[shade] as number, colorTable[shade + 1] as number, colorTable[shade + 2] as number),
    price_bdt: priceByIndex[biomeIndex] as number,
  };
}
