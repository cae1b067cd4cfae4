/**
 * Land colours: each biome's base colour shaded by elevation – darker at the
 * world's low end, lighter at its high end – through a precomputed table so the
 * generator's inner loop does one look-up instead of floating-point blending.
 */
import { BIOMES, type Biome } from "./world-config.js";

/** Base colours as [r, g, b], chosen to read well next to each other on a map. */
export const BIOME_BASE_COLORS: Readonly<Record<Biome, readonly [number, number, number]>> = {
  forest: [47, 107, 47],
  grassland: [124, 179, 66],
  water: [42, 111, 176],
  desert: [217, 194, 122],
  snow: [226, 233, 238],
};

/** Elevation quantisation of the table: 1,024 shades are finer than the eye separates. */
export const SHADE_LEVELS = 1024;
/** At the lowest elevation a colour is blended this far towards black; at the highest, towards white. */
const MAX_SHADE = 0.3;

/**
 * Table of SHADE_LEVELS × BIOMES.length colours, 3 bytes each, addressed by
 * `shadeIndex`. Elevations from `shadeLow` to `shadeHigh` (typically the 1st and
 * 99th percentile of the world) span the full shading range; beyond them it is
 * clamped.
 */
export function buildColorTable(shadeLow: number, shadeHigh: number): Uint8Array {
  const table = new Uint8Array(BIOMES.length * SHADE_LEVELS * 3);
  const span = shadeHigh > shadeLow ? shadeHigh - shadeLow : 1;
  for (let b = 0; b < BIOMES.length; b++) {
    const base = BIOME_BASE_COLORS[BIOMES[b] as Biome];
    for (let level = 0; level < SHADE_LEVELS; level++) {
      const elevation = level / (SHADE_LEVELS - 1);
      const t = Math.min(1, Math.max(0, (elevation - shadeLow) / span));
      const shade = (2 * t - 1) * MAX_SHADE; // -MAX_SHADE (dark) … +MAX_SHADE (light)
      const offset = (b * SHADE_LEVELS + level) * 3;
      for (let c = 0; c < 3; c++) {
        const channel = base[c] as number;
        const shaded = shade < 0 ? channel * (1 + shade) : channel + (255 - channel) * shade;
        table[offset + c] = Math.round(shaded);
      }
    }
  }
  return table;
}

/** Offset in the colour table of a biome index and an elevation in [0, 1]. */
export function shadeIndex(biomeIndex: number, elevation: number): number {
  return (biomeIndex * SHADE_LEVELS + ((elevation * (SHADE_LEVELS - 1) + 0.5) | 0)) * 3;
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** "#rrggbb" in lowercase. */
export function rgbToHex(r: number, g: number, b: number): string {
  return `#${HEX_BYTE[r & 0xff]}${HEX_BYTE[g & 0xff]}${HEX_BYTE[b & 0xff]}`;
}
