-- World generation and platform settings, and generated-chunk metadata.

-- Each change inserts a row; the row with the highest version is in force.
-- The version also tags terrain caches and chunk ETags.
CREATE TABLE admin_config (
  config_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  world_seed BIGINT NOT NULL CHECK (world_seed BETWEEN -9007199254740991 AND 9007199254740991),
  world_width INTEGER NOT NULL DEFAULT 1024 CHECK (world_width BETWEEN 32 AND 1048576),
  world_height INTEGER NOT NULL DEFAULT 1024 CHECK (world_height BETWEEN 32 AND 1048576),
  noise_frequency DOUBLE PRECISION NOT NULL DEFAULT 0.05 CHECK (noise_frequency > 0 AND noise_frequency <= 10),
  noise_octaves INTEGER NOT NULL DEFAULT 6 CHECK (noise_octaves BETWEEN 1 AND 8),
  noise_persistence DOUBLE PRECISION NOT NULL DEFAULT 0.6 CHECK (noise_persistence > 0 AND noise_persistence < 1),
  noise_lacunarity DOUBLE PRECISION NOT NULL DEFAULT 2.0 CHECK (noise_lacunarity > 1 AND noise_lacunarity <= 8),
  biome_forest_percent DOUBLE PRECISION NOT NULL DEFAULT 0.35 CHECK (biome_forest_percent BETWEEN 0 AND 1),
  biome_grassland_percent DOUBLE PRECISION NOT NULL DEFAULT 0.30 CHECK (biome_grassland_percent BETWEEN 0 AND 1),
  biome_water_percent DOUBLE PRECISION NOT NULL DEFAULT 0.20 CHECK (biome_water_percent BETWEEN 0 AND 1),
  biome_desert_percent DOUBLE PRECISION NOT NULL DEFAULT 0.10 CHECK (biome_desert_percent BETWEEN 0 AND 1),
  biome_snow_percent DOUBLE PRECISION NOT NULL DEFAULT 0.05 CHECK (biome_snow_percent BETWEEN 0 AND 1),
  base_land_price_bdt BIGINT NOT NULL DEFAULT 1000 CHECK (base_land_price_bdt > 0),
  forest_multiplier DOUBLE PRECISION NOT NULL DEFAULT 1.0 CHECK (forest_multiplier > 0),
  grassland_multiplier DOUBLE PRECISION NOT NULL DEFAULT 0.8 CHECK (grassland_multiplier > 0),
  water_multiplier DOUBLE PRECISION NOT NULL DEFAULT 1.2 CHECK (water_multiplier > 0),
  desert_multiplier DOUBLE PRECISION NOT NULL DEFAULT 0.7 CHECK (desert_multiplier > 0),
  snow_multiplier DOUBLE PRECISION NOT NULL DEFAULT 1.5 CHECK (snow_multiplier > 0),
  transaction_fee_percent DOUBLE PRECISION NOT NULL DEFAULT 5.0 CHECK (transaction_fee_percent BETWEEN 0 AND 100),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_by UUID NOT NULL REFERENCES users (user_id),
  CONSTRAINT admin_config_biomes_sum_to_one CHECK (
    abs(biome_forest_percent + biome_grassland_percent + biome_water_percent
        + biome_desert_percent + biome_snow_percent - 1) < 1e-9)
);
CREATE INDEX admin_config_updated_at_idx ON admin_config (updated_at DESC);

-- History is kept: a config row is never edited or removed.
CREATE TRIGGER admin_config_insert_only BEFORE UPDATE OR DELETE ON admin_config
  FOR EACH ROW EXECUTE FUNCTION reject_mutation();

INSERT INTO admin_config (world_seed, updated_by)
VALUES (42, '00000000-0000-4000-8000-000000000001');

CREATE TABLE chunks (
  chunk_id VARCHAR(50) PRIMARY KEY CHECK (chunk_id ~ '^chunk_[0-9]+_[0-9]+$'),
  chunk_x INTEGER NOT NULL CHECK (chunk_x >= 0),
  chunk_y INTEGER NOT NULL CHECK (chunk_y >= 0),
  config_version BIGINT NOT NULL,
  generation_seed BIGINT NOT NULL,
  generation_time_ms DOUBLE PRECISION NOT NULL CHECK (generation_time_ms >= 0),
  size INTEGER NOT NULL DEFAULT 32,
  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
  storage_path TEXT,
  storage_type VARCHAR(20) NOT NULL CHECK (storage_type IN ('memory', 'redis', 's3', 'local')),
  cached BOOLEAN NOT NULL DEFAULT true,
  cache_expires_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (chunk_x, chunk_y)
);
CREATE INDEX chunks_created_at_idx ON chunks (created_at DESC);
CREATE INDEX chunks_expires_at_idx ON chunks (cache_expires_at);
