import { describe, expect, it } from "vitest";
import {
  BIOMES,
  DEFAULT_WORLD_CONFIG,
  chunkCountX,
  chunkCountY,
  chunkExists,
  chunkHash,
  chunkId,
  chunkOf,
  decodeChunkPacked,
  deriveBiomeThresholds,
  encodeChunkPacked,
  generateChunk,
  landTerrain,
  parseChunkId,
  pointsUp,
  type Biome,
  type ChunkTerrain,
  type PackedChunk,
  type WorldConfig,
} from "../../src/domain/world/index.js";

/** A fresh deep copy with overrides: a new object, so it gets its own cached model. */
function configWith(overrides: Partial<WorldConfig> = {}): WorldConfig {
  return { ...structuredClone(DEFAULT_WORLD_CONFIG), ...overrides };
}

function allChunks(config: WorldConfig): Array<[number, number]> {
  const coords: Array<[number, number]> = [];
  for (let cy = 0; cy < chunkCountY(config); cy++) {
    for (let cx = 0; cx < chunkCountX(config); cx++) coords.push([cx, cy]);
  }
  return coords;
}

/** Share of each biome over every land of the world. */
function worldShares(config: WorldConfig): Record<Biome, number> {
  const counts = new Array<number>(BIOMES.length).fill(0);
  let lands = 0;
  for (const [cx, cy] of allChunks(config)) {
    const chunk = generateChunk(config, cx, cy);
    for (const b of chunk.biome) counts[b] = (counts[b] ?? 0) + 1;
    lands += chunk.biome.length;
  }
  expect(lands).toBe(config.worldWidth * config.worldHeight);
  return Object.fromEntries(BIOMES.map((biome, i) => [biome, (counts[i] ?? 0) / lands])) as Record<Biome, number>;
}

function expectSharesWithinOnePoint(config: WorldConfig): void {
  const shares = worldShares(config);
  for (const biome of BIOMES) {
    expect(Math.abs(shares[biome] - config.biomeShares[biome]), `${biome}: ${shares[biome]}`).toBeLessThanOrEqual(0.01);
  }
}

function landsOf(chunk: ChunkTerrain): Array<{ x: number; y: number; k: number }> {
  const lands = [];
  for (let j = 0; j < chunk.height; j++) {
    for (let i = 0; i < chunk.width; i++) lands.push({ x: chunk.x0 + i, y: chunk.y0 + j, k: j * chunk.width + i });
  }
  return lands;
}

function hexOf(rgb: Uint8Array, k: number): string {
  return `#${[rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2]].map((c) => (c ?? 0).toString(16).padStart(2, "0")).join("")}`;
}

describe("world generation", () => {
  it("generates identical bytes for equal configs whatever order the chunks are generated in", () => {
    const coords = allChunks(DEFAULT_WORLD_CONFIG).filter((_, i) => i % 37 === 0);
    const first = configWith();
    const second = configWith();
    const forward = new Map(coords.map(([cx, cy]) => [chunkId(cx, cy), generateChunk(first, cx, cy)]));
    // Reverse order, interleaved with single-land queries that touch other chunks first.
    const backward = new Map<string, ChunkTerrain>();
    for (const [cx, cy] of [...coords].reverse()) {
      landTerrain(second, 1023 - cx, 1023 - cy);
      backward.set(chunkId(cx, cy), generateChunk(second, cx, cy));
    }
    for (const [id, chunk] of forward) {
      const other = backward.get(id);
      expect(other, id).toBeDefined();
      expect(Buffer.from(other!.biome).equals(Buffer.from(chunk.biome)), id).toBe(true);
      expect(Buffer.from(other!.elevation.buffer).equals(Buffer.from(chunk.elevation.buffer)), id).toBe(true);
      expect(Buffer.from(other!.colorRgb).equals(Buffer.from(chunk.colorRgb)), id).toBe(true);
      expect(chunkHash(other!), id).toBe(chunkHash(chunk));
    }
    expect(deriveBiomeThresholds(first)).toEqual(deriveBiomeThresholds(second));
  });

  it("gives each land from landTerrain exactly the values its chunk holds", () => {
    const edgeWorld = configWith({ worldWidth: 1000, worldHeight: 970 });
    const cases: Array<[WorldConfig, number, number]> = [
      [DEFAULT_WORLD_CONFIG, 0, 0],
      [DEFAULT_WORLD_CONFIG, 5, 17],
      [DEFAULT_WORLD_CONFIG, 31, 31],
      [edgeWorld, 31, 30], // partial in both directions: 8 × 10 lands
    ];
    let compared = 0;
    for (const [config, cx, cy] of cases) {
      const chunk = generateChunk(config, cx, cy);
      for (const { x, y, k } of landsOf(chunk)) {
        const land = landTerrain(config, x, y);
        expect(land).toEqual({
          x,
          y,
          biome: BIOMES[chunk.biome[k] ?? -1],
          elevation: chunk.elevation[k],
          color_hex: hexOf(chunk.colorRgb, k),
          price_bdt: chunk.priceByBiome[land.biome],
        });
        compared++;
      }
    }
    expect(compared).toBe(3 * 1024 + 8 * 10);
  });

  it("derives a config's thresholds once and reuses them for every later chunk and land", () => {
    const plain = configWith({ worldWidth: 256, worldHeight: 256 });
    let shareReads = 0;
    const counted = Object.defineProperty({ ...plain }, "biomeShares", {
      get: () => {
        shareReads++;
        return plain.biomeShares;
      },
    });
    generateChunk(counted, 0, 0);
    const readsForFirstChunk = shareReads;
    expect(readsForFirstChunk).toBeGreaterThan(0);
    generateChunk(counted, 1, 0);
    generateChunk(counted, 7, 7);
    landTerrain(counted, 100, 100);
    expect(shareReads).toBe(readsForFirstChunk);
  });

  it("cuts the last chunk row and column at the world's edge", () => {
    const config = configWith({ worldWidth: 1000, worldHeight: 970 });
    expect([chunkCountX(config), chunkCountY(config)]).toEqual([32, 31]);
    const corner = generateChunk(config, 31, 30);
    expect([corner.x0, corner.y0, corner.width, corner.height, corner.size]).toEqual([992, 960, 8, 10, 32]);
    expect([corner.biome.length, corner.elevation.length, corner.colorRgb.length]).toEqual([80, 80, 240]);
  });

  it("covers the default world with each biome's configured share, within one percentage point", () => {
    expectSharesWithinOnePoint(DEFAULT_WORLD_CONFIG);
  });

  it("meets other share settings within one percentage point, including a share of zero", () => {
    const size = { worldWidth: 512, worldHeight: 512 };
    expectSharesWithinOnePoint(
      configWith({ ...size, biomeShares: { forest: 0.2, grassland: 0.1, water: 0.5, desert: 0.1, snow: 0.1 } }),
    );
    expectSharesWithinOnePoint(
      configWith({ ...size, biomeShares: { forest: 0.1, grassland: 0.15, water: 0.05, desert: 0.7, snow: 0 } }),
    );
  });

  it("meets the shares for other seeds, extreme seeds and a non-square world with partial chunks", () => {
    expectSharesWithinOnePoint(configWith({ worldSeed: 7, worldWidth: 512, worldHeight: 512 }));
    expectSharesWithinOnePoint(configWith({ worldSeed: Number.MIN_SAFE_INTEGER, worldWidth: 512, worldHeight: 512 }));
    expectSharesWithinOnePoint(configWith({ worldSeed: 123456789, worldWidth: 1500, worldHeight: 700 }));
  });

  it("puts water on average lower than grassland, and grassland lower than snow", () => {
    const sums = new Array<number>(BIOMES.length).fill(0);
    const counts = new Array<number>(BIOMES.length).fill(0);
    for (const [cx, cy] of allChunks(DEFAULT_WORLD_CONFIG).filter((_, i) => i % 5 === 0)) {
      const chunk = generateChunk(DEFAULT_WORLD_CONFIG, cx, cy);
      chunk.biome.forEach((b, k) => {
        sums[b] = (sums[b] ?? 0) + (chunk.elevation[k] ?? 0);
        counts[b] = (counts[b] ?? 0) + 1;
      });
    }
    const mean = (biome: Biome): number => (sums[BIOMES.indexOf(biome)] ?? 0) / (counts[BIOMES.indexOf(biome)] ?? 1);
    expect(mean("water")).toBeLessThan(mean("grassland"));
    expect(mean("grassland")).toBeLessThan(mean("snow"));
  });

  it("splits the middle biomes by moisture, so their elevation ranges overlap instead of forming contour stripes", () => {
    const ranges = new Map<Biome, { min: number; max: number }>();
    for (const [cx, cy] of allChunks(DEFAULT_WORLD_CONFIG).filter((_, i) => i % 9 === 0)) {
      const chunk = generateChunk(DEFAULT_WORLD_CONFIG, cx, cy);
      chunk.biome.forEach((b, k) => {
        const biome = BIOMES[b] as Biome;
        const e = chunk.elevation[k] ?? 0;
        const range = ranges.get(biome) ?? { min: Infinity, max: -Infinity };
        ranges.set(biome, { min: Math.min(range.min, e), max: Math.max(range.max, e) });
      });
    }
    const [desert, grassland, forest] = (["desert", "grassland", "forest"] as const).map((b) => ranges.get(b)!);
    // Each middle biome spans most of the band between water and snow.
    for (const [a, b] of [
      [desert!, grassland!],
      [grassland!, forest!],
      [desert!, forest!],
    ] as const) {
      const overlap = Math.min(a.max, b.max) - Math.max(a.min, b.min);
      expect(overlap / (b.max - b.min)).toBeGreaterThan(0.8);
    }
  });

  it("keeps every elevation within [0, 1]", () => {
    let min = Infinity;
    let max = -Infinity;
    for (const [cx, cy] of allChunks(DEFAULT_WORLD_CONFIG).filter((_, i) => i % 11 === 0)) {
      for (const e of generateChunk(DEFAULT_WORLD_CONFIG, cx, cy).elevation) {
        if (!(e >= min)) min = e; // also catches NaN
        if (!(e <= max)) max = e;
      }
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0.2); // and they do vary
  });

  it("prices every land at round(basePriceBdt × its biome's multiplier)", () => {
    const config = configWith({
      basePriceBdt: 999,
      priceMultipliers: { forest: 1.0015, grassland: 0.8, water: 1.2345, desert: 0.7005, snow: 2.5 },
    });
    const expected = { forest: 1000, grassland: 799, water: 1233, desert: 700, snow: 2498 };
    const chunk = generateChunk(config, 3, 9);
    expect(chunk.priceByBiome).toEqual(expected);
    for (const { x, y } of landsOf(chunk).filter((_, i) => i % 7 === 0)) {
      const land = landTerrain(config, x, y);
      expect(land.price_bdt).toBe(expected[land.biome]);
    }
    expect(landTerrain(DEFAULT_WORLD_CONFIG, 10, 10).price_bdt).toBe(
      Math.round(1000 * DEFAULT_WORLD_CONFIG.priceMultipliers[landTerrain(DEFAULT_WORLD_CONFIG, 10, 10).biome]),
    );
  });

  it("colours lands as lowercase #rrggbb, lighter higher up within a biome", () => {
    const chunk = generateChunk(DEFAULT_WORLD_CONFIG, 12, 20);
    for (const { x, y } of landsOf(chunk)) {
      expect(landTerrain(DEFAULT_WORLD_CONFIG, x, y).color_hex).toMatch(/^#[0-9a-f]{6}$/);
    }
    // Within one biome, the highest land is at least as light as the lowest.
    const lightness = (k: number): number =>
      (chunk.colorRgb[3 * k] ?? 0) + (chunk.colorRgb[3 * k + 1] ?? 0) + (chunk.colorRgb[3 * k + 2] ?? 0);
    const b = chunk.biome[0];
    const same = landsOf(chunk).filter(({ k }) => chunk.biome[k] === b);
    const byElevation = same.sort((p, q) => (chunk.elevation[p.k] ?? 0) - (chunk.elevation[q.k] ?? 0));
    const lowest = byElevation[0]!;
    const highest = byElevation[byElevation.length - 1]!;
    expect(chunk.elevation[highest.k]! > chunk.elevation[lowest.k]!).toBe(true);
    expect(lightness(highest.k)).toBeGreaterThan(lightness(lowest.k));
  });

  it("gives different chunks for different seeds, including seeds differing only above bit 32 or in sign", () => {
    const seeds = [42, 43, 42 + 2 ** 32, -42, Number.MAX_SAFE_INTEGER];
    const hashes = seeds.map((worldSeed) => chunkHash(generateChunk(configWith({ worldSeed }), 3, 4)));
    expect(new Set(hashes).size).toBe(seeds.length);
  });

  it("rejects chunks outside the world with a RangeError", () => {
    const config = DEFAULT_WORLD_CONFIG;
    for (const [cx, cy] of [
      [32, 0],
      [0, 32],
      [-1, 0],
      [0, -1],
      [0.5, 0],
      [Number.NaN, 0],
    ] as const) {
      expect(chunkExists(config, cx, cy)).toBe(false);
      expect(() => generateChunk(config, cx, cy)).toThrow(RangeError);
    }
    expect(chunkExists(config, 31, 31)).toBe(true);
  });

  it("rejects lands outside the world with a RangeError", () => {
    for (const [x, y] of [
      [1024, 0],
      [0, 1024],
      [-1, 5],
      [5, -1],
      [1.5, 2],
    ] as const) {
      expect(() => landTerrain(DEFAULT_WORLD_CONFIG, x, y)).toThrow(RangeError);
    }
    expect(landTerrain(DEFAULT_WORLD_CONFIG, 1023, 1023).x).toBe(1023);
  });

  it("rejects an invalid config with a RangeError", () => {
    const badShares = configWith({ biomeShares: { forest: 0.5, grassland: 0.3, water: 0.2, desert: 0.1, snow: 0.05 } });
    expect(() => generateChunk(badShares, 0, 0)).toThrow(RangeError);
    expect(() => landTerrain(configWith({ worldSeed: 2 ** 53 }), 0, 0)).toThrow(RangeError);
    const noOctaves = configWith({ noise: { frequency: 0.05, octaves: 0, persistence: 0.6, lacunarity: 2 } });
    expect(() => generateChunk(noOctaves, 0, 0)).toThrow(RangeError);
    expect(() => generateChunk(configWith({ worldWidth: 0 }), 0, 0)).toThrow(RangeError);
  });

  it("round-trips a chunk through its packed form, exactly except for 16-bit elevations", () => {
    const config = configWith({ worldWidth: 1000, worldHeight: 970 });
    for (const [cx, cy] of [
      [2, 7],
      [31, 30],
    ] as const) {
      const chunk = generateChunk(config, cx, cy);
      const packed = encodeChunkPacked(chunk);
      const overTheWire = JSON.parse(JSON.stringify(packed)) as PackedChunk;
      const lands = decodeChunkPacked(overTheWire);
      expect(lands).toHaveLength(chunk.width * chunk.height);
      for (const { x, y, k } of landsOf(chunk)) {
        const land = lands[k]!;
        const exact = landTerrain(config, x, y);
        expect({ ...land, elevation: 0 }).toEqual({ ...exact, elevation: 0 });
        expect(Math.abs(land.elevation - exact.elevation)).toBeLessThanOrEqual(0.5 / 65535 + 1e-12);
      }
      expect(chunkHash(overTheWire)).toBe(chunkHash(chunk));
    }
  });

  it("packs a full chunk far smaller than one JSON object per land", () => {
    const chunk = generateChunk(DEFAULT_WORLD_CONFIG, 0, 0);
    const packedSize = JSON.stringify(encodeChunkPacked(chunk)).length;
    const verboseSize = JSON.stringify(decodeChunkPacked(encodeChunkPacked(chunk))).length;
    expect(packedSize).toBeLessThan(9_000);
    expect(packedSize * 5).toBeLessThan(verboseSize);
  });

  it("refuses to decode a malformed packed chunk", () => {
    const packed = encodeChunkPacked(generateChunk(DEFAULT_WORLD_CONFIG, 1, 1));
    expect(() => decodeChunkPacked({ ...packed, format: "vlw-chunk-0" as "vlw-chunk-1" })).toThrow(TypeError);
    expect(() => decodeChunkPacked({ ...packed, color: packed.color.slice(0, 100) })).toThrow(TypeError);
    expect(() => decodeChunkPacked({ ...packed, width: 31 })).toThrow(TypeError);
    expect(() => decodeChunkPacked({ ...packed, biomes: ["forest"] })).toThrow(TypeError);
  });

  it("changes the chunk hash when a single byte of the packed chunk changes", () => {
    const packed = encodeChunkPacked(generateChunk(DEFAULT_WORLD_CONFIG, 4, 4));
    const biome = Buffer.from(packed.biome, "base64");
    biome[500] = ((biome[500] ?? 0) + 1) % BIOMES.length;
    expect(chunkHash({ ...packed, biome: biome.toString("base64") })).not.toBe(chunkHash(packed));
    expect(chunkHash({ ...packed, price_by_biome: { ...packed.price_by_biome, snow: 1501 } })).not.toBe(
      chunkHash(packed),
    );
  });
});

describe("world lattice", () => {
  it("points a land up when x + y is even and down otherwise", () => {
    expect([pointsUp(0, 0), pointsUp(1, 0), pointsUp(0, 1), pointsUp(1, 1), pointsUp(1023, 2)]).toEqual([
      true,
      false,
      false,
      true,
      false,
    ]);
  });

  it("maps a land to the chunk floor(x / 32), floor(y / 32) and names it chunk_{cx}_{cy}", () => {
    expect(chunkOf(0, 0, 32)).toEqual({ cx: 0, cy: 0 });
    expect(chunkOf(31, 32, 32)).toEqual({ cx: 0, cy: 1 });
    expect(chunkOf(1023, 100, 32)).toEqual({ cx: 31, cy: 3 });
    expect(chunkId(3, 4)).toBe("chunk_3_4");
    expect(parseChunkId("chunk_31_0")).toEqual({ cx: 31, cy: 0 });
    for (const bad of ["chunk_1", "chunk_01_2", "chunk_-1_2", "chunk_1_2_3", "CHUNK_1_2"]) {
      expect(() => parseChunkId(bad)).toThrow(RangeError);
    }
  });

  it("places every land of a generated chunk in that chunk", () => {
    const chunk = generateChunk(DEFAULT_WORLD_CONFIG, 7, 3);
    for (const { x, y } of landsOf(chunk)) expect(chunkOf(x, y, 32)).toEqual({ cx: 7, cy: 3 });
  });
});
