/**
 * Terrain over HTTP: the world summary, packed chunks (generated, overlaid
 * with the stored terrain of owned lands, cached in Redis and in-process) and
 * single lands with their owner and listing. See docs/WORLD.md, "Terrain over
 * HTTP".
 */
import { Buffer } from "node:buffer";
import { Counter } from "prom-client";
import type { Redis } from "ioredis";
import { sql, withSerializableRetry, type DatabasePool } from "../db/database.js";
import {
  BIOMES,
  BIOME_INDEX,
  biomePrices,
  chunkExists,
  chunkId,
  encodeChunkPacked,
  generateChunk,
  landExists,
  landTerrain,
  type Biome,
  type ChunkTerrain,
  type LandTerrain,
  type PackedChunk,
  type WorldConfig,
} from "../domain/world/index.js";
import { decodeCursor, paginate, type PageInput } from "./pagination.js";
import { invalidInput, notFound } from "../errors.js";
import type { Logger } from "../logger.js";
import type { LandOverlayRow, LandsRepository } from "./lands-repository.js";
import type { Metrics } from "./metrics.js";
import type { ActiveConfig, WorldConfigService } from "./world-config-service.js";

/** How long a packed chunk stays in Redis. Keys carry the config version, so this only bounds memory. */
export const CHUNK_CACHE_TTL_S = 24 * 60 * 60;
/** Packed chunks kept in each process (~8.5 KB each, so ~4 MB at most). */
export const CHUNK_MEMORY_CACHE_ENTRIES = 512;

/** `GET /world`. */
export interface WorldSummary {
  world_seed: number;
  world_width: number;
  world_height: number;
  chunk_size: number;
  noise: { frequency: number; octaves: number; persistence: number; lacunarity: number };
  /** Per biome: its share of the world (a fraction, as admin config's `biome_*_percent`), price multiplier and price. */
  biomes: Record<Biome, { percent: number; price_multiplier: number; price_bdt: number }>;
  pricing: { base_land_price_bdt: number; multipliers: Record<Biome, number> };
  transaction_fee_percent: number;
  config_version: number;
}

/** `GET /world/chunks/:cx/:cy`: the packed chunk as a ready-to-send JSON string. */
export interface PackedChunkResponse {
  version: number;
  etag: string;
  /** JSON of the packed chunk (`vlw-chunk-1`) plus `config_version`. */
  body: string;
  /** `body` as UTF-8 bytes, so cached answers are not re-encoded per request. */
  bytes: Buffer;
}

export type WirePackedChunk = PackedChunk & { config_version: number };

/** The active listing of a land as `GET /lands/:x/:y` shows it; the reserve amount itself stays private. */
export interface LandListing {
  listing_id: string;
  type: string;
  price_bdt: number;
  /** Present only when the seller set a reserve: whether the current price reaches it. */
  reserve_met?: boolean;
  buy_now_price_bdt: number | null;
  current_price_bdt: number | null;
  bid_count: number;
  auction_end_time: string | null;
  leading_bidder_id: string | null;
}

/** `GET /lands/:x/:y`: the land's terrain and what is on it. */
export interface LandDetails extends LandTerrain {
  land_id: string | null;
  owner: { user_id: string; username: string } | null;
  fenced: boolean;
  public_message: string | null;
  for_sale: boolean;
  listing: LandListing | null;
}

/** The strong ETag of a chunk under a config version (the version fixes its bytes; see `packedChunk`). */
export function chunkEtagFor(version: number, cx: number, cy: number): string {
  return `"vlw-v${version}-${cx}-${cy}"`;
}

export function createTerrainService(deps: {
  pool: DatabasePool;
  redis: Redis;
  worldConfig: WorldConfigService;
  lands: LandsRepository;
  keyPrefix: string;
  logger: Logger;
  metrics?: Metrics;
  /** Entries of the in-process cache (default CHUNK_MEMORY_CACHE_ENTRIES). */
  memoryEntries?: number;
}) {
  const { pool, redis, worldConfig, lands, keyPrefix, logger } = deps;
  const memory = new LruCache<PackedChunkResponse>(deps.memoryEntries ?? CHUNK_MEMORY_CACHE_ENTRIES);
  // Concurrent misses of one chunk share one Redis read / generation.
  const inFlight = new Map<string, Promise<PackedChunkResponse>>();
  let memoryVersion = 0;
  const chunkRequests = deps.metrics
    ? new Counter({
        name: "vlw_chunk_requests_total",
        help: "Packed chunks served, by where they came from (memory, redis, generated)",
        labelNames: ["source"] as const,
        registers: [deps.metrics.registry],
      })
    : undefined;

  const cacheKey = (version: number, cx: number, cy: number) => `${keyPrefix}:chunk:v${version}:${cx}:${cy}`;

  /** The config in force, for a chunk that must exist. */
  async function configForChunk(cx: number, cy: number): Promise<ActiveConfig> {
    if (!Number.isInteger(cx) || !Number.isInteger(cy)) {
      throw invalidInput("cx and cy must be integers.");
    }
    const active = await worldConfig.current();
    if (!chunkExists(active.world, cx, cy)) {
      throw notFound(`There is no chunk (${cx}, ${cy}) in this world.`);
    }
    // Entries of older versions can never be asked for again: drop them all at once.
    if (active.version > memoryVersion) {
      memory.clear();
      memoryVersion = active.version;
    }
    return active;
  }

  function response(version: number, cx: number, cy: number, body: string): PackedChunkResponse {
    return { version, etag: chunkEtagFor(version, cx, cy), body, bytes: Buffer.from(body, "utf8") };
  }

  /*
   * Why a chunk with owned lands overlaid may be cached for a whole config
   * version: a land bought while version V is in force copies V's generated
   * terrain into its row, which is exactly what V's chunk already shows for
   * it, so a purchase never changes a cached chunk. Lands bought under older
   * versions keep their old terrain, and they are already in the rows read
   * when V's chunk is first built. Only a config change alters a chunk, and it
   * brings a new version, hence a new key, ETag and cache entry. (Ownership,
   * fences, messages and listings are not in the packed format: clients get
   * those from the chunk room or GET /lands/:x/:y.)
   *
   * The one race: a purchase that read V is still running when V + 1 comes
   * into force and V + 1's chunk is built from rows without its land. So the
   * rows and the version in force are read in one SERIALIZABLE transaction:
   * the purchase (which read the version in its own) and this read then form
   * a cycle with the config change, and PostgreSQL refuses the purchase's
   * commit; retried, it sees V + 1 and is decided under it.
   */
  async function loadChunk(active: ActiveConfig, cx: number, cy: number, key: string): Promise<PackedChunkResponse> {
    const { version } = active;
    const cached = await redis.get(key).catch((error: unknown) => {
      logger.warn({ err: error, key }, "chunk cache read failed; generating the chunk");
      return null;
    });
    if (cached !== null) {
      chunkRequests?.labels("redis").inc();
      return response(version, cx, cy, cached);
    }

    const started = performance.now();
    const chunk = generateChunk(active.world, cx, cy);
    const generationMs = performance.now() - started;
    const { owned, versionInForce } = await withSerializableRetry(pool, async (tx) => {
      await tx.query(sql.unsafe`SET TRANSACTION READ ONLY`);
      return {
        versionInForce: (await worldConfig.currentIn(tx)).version,
        owned: await lands.listOverlayInRect(tx, chunk.x0, chunk.y0, chunk.x0 + chunk.width, chunk.y0 + chunk.height),
      };
    });
    overlayOwnedLands(chunk, owned);
    const packed: WirePackedChunk = { ...encodeChunkPacked(chunk), config_version: version };
    const result = response(version, cx, cy, JSON.stringify(packed));
    chunkRequests?.labels("generated").inc();

    // Built while another version came into force: right for this request, not kept.
    if (versionInForce !== version) return result;
    // Neither write holds up the answer: a failed one only costs a later regeneration.
    void redis.set(key, result.body, "EX", CHUNK_CACHE_TTL_S).catch((error: unknown) => {
      logger.warn({ err: error, key }, "chunk cache write failed");
    });
    void recordChunk(active, chunk, generationMs, result.bytes.length).catch((error: unknown) => {
      logger.warn({ err: error, chunk: chunkId(cx, cy) }, "chunk metadata upsert failed");
    });
    return result;
  }

  /** One row per chunk describing its latest generation; never goes back to an older config version. */
  async function recordChunk(active: ActiveConfig, chunk: ChunkTerrain, generationMs: number, sizeBytes: number) {
    const expiresAt = new Date(Date.now() + CHUNK_CACHE_TTL_S * 1000).toISOString();
    await pool.query(sql.unsafe`
      INSERT INTO chunks (chunk_id, chunk_x, chunk_y, config_version, generation_seed, generation_time_ms, size,
                          size_bytes, storage_type, cached, cache_expires_at, updated_at)
      VALUES (${chunkId(chunk.cx, chunk.cy)}, ${chunk.cx}, ${chunk.cy}, ${active.version}, ${active.world.worldSeed},
              ${generationMs}, ${chunk.size}, ${sizeBytes}, 'redis', true, ${expiresAt}::timestamptz, now())
      ON CONFLICT (chunk_id) DO UPDATE SET
        config_version = EXCLUDED.config_version,
        generation_seed = EXCLUDED.generation_seed,
        generation_time_ms = EXCLUDED.generation_time_ms,
        size = EXCLUDED.size,
        size_bytes = EXCLUDED.size_bytes,
        storage_type = EXCLUDED.storage_type,
        cached = EXCLUDED.cached,
        cache_expires_at = EXCLUDED.cache_expires_at,
        updated_at = EXCLUDED.updated_at
      WHERE chunks.config_version <= EXCLUDED.config_version`);
  }

  return {
    /** `GET /world`: the config in force, as clients need it to render and price the world. */
    async worldSummary(): Promise<WorldSummary> {
      const { row, version, world } = await worldConfig.current();
      const prices = biomePrices(world);
      const biomes = {} as WorldSummary["biomes"];
      for (const biome of BIOMES) {
        biomes[biome] = {
          percent: world.biomeShares[biome],
          price_multiplier: world.priceMultipliers[biome],
          price_bdt: prices[biome],
        };
      }
      return {
        world_seed: row.world_seed,
        world_width: row.world_width,
        world_height: row.world_height,
        chunk_size: world.chunkSize,
        noise: { ...world.noise },
        biomes,
        pricing: { base_land_price_bdt: row.base_land_price_bdt, multipliers: { ...world.priceMultipliers } },
        transaction_fee_percent: row.transaction_fee_percent,
        config_version: version,
      };
    },

    /**
     * The ETag chunk (cx, cy) has now, without building or reading it (to answer 304 cheaply).
     * @throws AppError INVALID_INPUT for non-integers, NOT_FOUND outside the world.
     */
    async chunkEtag(cx: number, cy: number): Promise<string> {
      const { version } = await configForChunk(cx, cy);
      return chunkEtagFor(version, cx, cy);
    },

    /**
     * The packed chunk under the config in force: from this process's memory,
     * else Redis, else generated, overlaid with owned lands and stored in both.
     * @throws AppError INVALID_INPUT for non-integers, NOT_FOUND outside the world.
     */
    async packedChunk(cx: number, cy: number): Promise<PackedChunkResponse> {
      const active = await configForChunk(cx, cy);
      const key = cacheKey(active.version, cx, cy);
      const hit = memory.get(key);
      if (hit !== undefined) {
        chunkRequests?.labels("memory").inc();
        return hit;
      }
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = loadChunk(active, cx, cy, key)
          .then((result) => {
            if (result.version >= memoryVersion) memory.set(key, result);
            return result;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },

    /**
     * Land (x, y): generated terrain if nobody owns it, else the terrain stored at
     * purchase with its owner and active listing. Passcode hashes are never read.
     * @throws AppError INVALID_INPUT for non-integers, NOT_FOUND outside the world.
     */
    async landAt(x: number, y: number): Promise<LandDetails> {
      if (!Number.isInteger(x) || !Number.isInteger(y)) throw invalidInput("x and y must be integers.");
      const { world } = await worldConfig.current();
      if (!landExists(world, x, y)) throw notFound(`There is no land (${x}, ${y}) in this world.`);
      const row = await lands.findOverlayAt(pool, x, y);
      if (row === null) {
        return {
          ...landTerrain(world, x, y),
          land_id: null,
          owner: null,
          fenced: false,
          public_message: null,
          for_sale: false,
          listing: null,
        };
      }
      return ownedLandDetails(world, row);
    },

    /** The lands a user owns, newest first, each as `landAt` shows it. @throws AppError INVALID_INPUT for a malformed cursor. */
    async landsOwnedBy(userId: string, page: PageInput): Promise<{ lands: LandDetails[]; next_cursor: string | null }> {
      const { world } = await worldConfig.current();
      const rows = await lands.listOwnedBy(pool, userId, page.limit, decodeCursor(page.cursor));
      const { page: owned, nextCursor } = paginate(rows, page.limit, (row) => ({ createdAt: row.created_at, id: row.land_id }));
      return { lands: owned.map((row) => ownedLandDetails(world, row)), next_cursor: nextCursor };
    },

    /** Empties this process's chunk cache (Redis entries stay). */
    clearMemoryCache(): void {
      memory.clear();
    },
  };
}
export type TerrainService = ReturnType<typeof createTerrainService>;

/** An owned land as `GET /lands/:x/:y` shows it: its stored terrain, owner and active listing. */
function ownedLandDetails(world: WorldConfig, row: LandOverlayRow): LandDetails {
  const biome = toBiome(row.biome);
  const listing = listingOf(row);
  return {
    x: row.x,
    y: row.y,
    biome,
    elevation: row.elevation,
    color_hex: row.color_hex,
    price_bdt: listing === null ? biomePrices(world)[biome] : askingPrice(listing),
    land_id: row.land_id,
    owner: { user_id: row.owner_id, username: row.owner_name },
    fenced: row.fenced,
    public_message: row.public_message,
    // As in the chunk room: a land is for sale exactly while it has an active listing.
    for_sale: listing !== null,
    listing,
  };
}

/** Writes each owned land's stored terrain over the generated one (lands outside the chunk are ignored). */
function overlayOwnedLands(chunk: ChunkTerrain, owned: readonly LandOverlayRow[]): void {
  for (const land of owned) {
    const i = land.x - chunk.x0;
    const j = land.y - chunk.y0;
    if (i < 0 || j < 0 || i >= chunk.width || j >= chunk.height) continue;
    const k = j * chunk.width + i;
    chunk.biome[k] = BIOME_INDEX[toBiome(land.biome)];
    chunk.elevation[k] = land.elevation;
    const rgb = Number.parseInt(land.color_hex.slice(1), 16);
    chunk.colorRgb[3 * k] = (rgb >>> 16) & 0xff;
    chunk.colorRgb[3 * k + 1] = (rgb >>> 8) & 0xff;
    chunk.colorRgb[3 * k + 2] = rgb & 0xff;
  }
}

function listingOf(row: LandOverlayRow): LandListing | null {
  if (row.listing_id === null || row.listing_type === null || row.listing_price_bdt === null) return null;
  const listing: LandListing = {
    listing_id: row.listing_id,
    type: row.listing_type,
    price_bdt: row.listing_price_bdt,
    buy_now_price_bdt: row.buy_now_price_bdt,
    current_price_bdt: row.current_price_bdt,
    bid_count: row.bid_count ?? 0,
    auction_end_time: row.auction_end_time,
    leading_bidder_id: row.leading_bidder_id,
  };
  if (row.reserve_price_bdt !== null) {
    listing.reserve_met = row.current_price_bdt !== null && row.current_price_bdt >= row.reserve_price_bdt;
  }
  return listing;
}

/** What a listed land costs now: the price, or an auction's current price (its starting bid before any bid). */
function askingPrice(listing: LandListing): number {
  return listing.type === "auction" ? (listing.current_price_bdt ?? listing.price_bdt) : listing.price_bdt;
}

function toBiome(name: string): Biome {
  if (!(BIOMES as readonly string[]).includes(name)) throw new Error(`stored land has unknown biome ${name}`);
  return name as Biome;
}

/** A Map in recency order: reads move an entry to the end, inserts beyond capacity drop the oldest. */
class LruCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
