import { z } from "zod";
import type { Redis } from "ioredis";
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import type { WorldConfig } from "../domain/world/world-config.js";

const configRow = z.object({
  config_id: z.string(),
  version: z.number(),
  world_seed: z.number(),
  world_width: z.number(),
  world_height: z.number(),
  noise_frequency: z.number(),
  noise_octaves: z.number(),
  noise_persistence: z.number(),
  noise_lacunarity: z.number(),
  biome_forest_percent: z.number(),
  biome_grassland_percent: z.number(),
  biome_water_percent: z.number(),
  biome_desert_percent: z.number(),
  biome_snow_percent: z.number(),
  base_land_price_bdt: z.number(),
  forest_multiplier: z.number(),
  grassland_multiplier: z.number(),
  water_multiplier: z.number(),
  desert_multiplier: z.number(),
  snow_multiplier: z.number(),
  transaction_fee_percent: z.number(),
  created_at: z.string(),
  updated_by: z.string(),
});
export type AdminConfigRow = z.infer<typeof configRow>;

/** Columns an admin may change (everything but ids, version and timestamps). */
export const EDITABLE_CONFIG_FIELDS = [
  "world_seed",
  "world_width",
  "world_height",
  "noise_frequency",
  "noise_octaves",
  "noise_persistence",
  "noise_lacunarity",
  "biome_forest_percent",
  "biome_grassland_percent",
  "biome_water_percent",
  "biome_desert_percent",
  "biome_snow_percent",
  "base_land_price_bdt",
  "forest_multiplier",
  "grassland_multiplier",
  "water_multiplier",
  "desert_multiplier",
  "snow_multiplier",
  "transaction_fee_percent",
] as const;
export type EditableConfigField = (typeof EDITABLE_CONFIG_FIELDS)[number];
export type EditableConfig = Pick<AdminConfigRow, EditableConfigField>;

/** The config in force, with the pure world parameters derived once per version. */
export interface ActiveConfig {
  row: AdminConfigRow;
  version: number;
  world: WorldConfig;
  feePercent: number;
}

export const CHUNK_SIZE = 32;

export function toWorldConfig(row: EditableConfig): WorldConfig {
  return {
    worldSeed: row.world_seed,
    worldWidth: row.world_width,
    worldHeight: row.world_height,
    chunkSize: CHUNK_SIZE,
    noise: {
      frequency: row.noise_frequency,
      octaves: row.noise_octaves,
      persistence: row.noise_persistence,
      lacunarity: row.noise_lacunarity,
    },
    biomeShares: {
      forest: row.biome_forest_percent,
      grassland: row.biome_grassland_percent,
      water: row.biome_water_percent,
      desert: row.biome_desert_percent,
      snow: row.biome_snow_percent,
    },
    basePriceBdt: row.base_land_price_bdt,
    priceMultipliers: {
      forest: row.forest_multiplier,
      grassland: row.grassland_multiplier,
      water: row.water_multiplier,
      desert: row.desert_multiplier,
      snow: row.snow_multiplier,
    },
  };
}

const selectLatest = sql.type(configRow)`
  SELECT config_id, version, world_seed, world_width, world_height, noise_frequency, noise_octaves,
         noise_persistence, noise_lacunarity, biome_forest_percent, biome_grassland_percent,
         biome_water_percent, biome_desert_percent, biome_snow_percent, base_land_price_bdt,
         forest_multiplier, grassland_multiplier, water_multiplier, desert_multiplier, snow_multiplier,
         transaction_fee_percent, created_at, updated_by
  FROM admin_config ORDER BY version DESC LIMIT 1`;

/**
 * Keeps the config in force in memory. A change made by any process is
 * announced on a Redis channel so every process reloads at once; a short
 * refresh interval covers a missed announcement.
 */
export function createWorldConfigService(deps: { pool: DatabasePool; redis: Redis; subscriber: Redis; channel: string }) {
  let active: ActiveConfig | undefined;
  let loading: Promise<ActiveConfig> | undefined;
  let loadedAt = 0;
  const MAX_AGE_MS = 5_000;

  function activate(row: AdminConfigRow): ActiveConfig {
    if (active && active.version === row.version) return active;
    if (!active || row.version > active.version) {
      active = { row, version: row.version, world: toWorldConfig(row), feePercent: row.transaction_fee_percent };
    }
    return active;
  }

  async function reload(): Promise<ActiveConfig> {
    loading ??= deps.pool
      .one(selectLatest)
      .then((row) => {
        loadedAt = Date.now();
        return activate(row);
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  }

  const onMessage = (channel: string) => {
    if (channel === deps.channel) void reload().catch(() => undefined);
  };

  return {
    async start(): Promise<void> {
      deps.subscriber.on("message", onMessage);
      await deps.subscriber.subscribe(deps.channel);
      await reload();
    },
    async stop(): Promise<void> {
      deps.subscriber.off("message", onMessage);
      await deps.subscriber.unsubscribe(deps.channel).catch(() => undefined);
    },
    /** The config in force (reloaded if the cached copy is older than a few seconds). */
    async current(): Promise<ActiveConfig> {
      if (!active || Date.now() - loadedAt > MAX_AGE_MS) return reload();
      return active;
    },
    /** Reloads now (after a statement found a newer version in force). */
    refresh: reload,
    /** The config in force, read inside a transaction (for money movements). */
    async currentIn(tx: DatabaseTransactionConnection): Promise<ActiveConfig> {
      return activate(await tx.one(selectLatest));
    },
    /** Makes a just-committed row current here and tells the other processes. */
    async announce(row: AdminConfigRow): Promise<void> {
      activate(row);
      loadedAt = Date.now();
      await deps.redis.publish(deps.channel, String(row.version));
    },
    selectLatest,
    configRow,
  };
}
export type WorldConfigService = ReturnType<typeof createWorldConfigService>;
