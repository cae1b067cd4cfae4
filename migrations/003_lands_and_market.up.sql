-- Owned land, marketplace listings and bids.

-- A row exists once a land is first bought; unowned land is derived from world
-- generation, and its terrain is copied here at purchase so a later change of
-- the world config leaves bought land as it was.
CREATE TABLE lands (
  land_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id UUID NOT NULL REFERENCES users (user_id),
  x INTEGER NOT NULL,
  y INTEGER NOT NULL,
  z INTEGER NOT NULL DEFAULT 0 CHECK (z = 0),
  biome VARCHAR(20) NOT NULL CHECK (biome IN ('forest', 'desert', 'grassland', 'water', 'snow')),
  elevation DOUBLE PRECISION NOT NULL CHECK (elevation BETWEEN 0 AND 1),
  color_hex VARCHAR(7) NOT NULL CHECK (color_hex ~ '^#[0-9a-f]{6}$'),
  fenced BOOLEAN NOT NULL DEFAULT false,
  -- HMAC-SHA256(pepper, land_id || passcode); the pepper lives outside the database.
  passcode_hash VARCHAR(255),
  passcode_updated_at TIMESTAMPTZ,
  public_message TEXT CHECK (char_length(public_message) <= 280),
  price_base_bdt BIGINT NOT NULL CHECK (price_base_bdt > 0),
  for_sale BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at TIMESTAMPTZ,
  CONSTRAINT lands_coordinates_key UNIQUE (x, y, z),
  CONSTRAINT lands_valid_coordinates CHECK (x >= 0 AND y >= 0),
  CONSTRAINT lands_fence_has_passcode CHECK (fenced = (passcode_hash IS NOT NULL))
);
CREATE INDEX lands_owner_id_idx ON lands (owner_id);
CREATE INDEX lands_biome_idx ON lands (biome);
CREATE INDEX lands_for_sale_idx ON lands (for_sale) WHERE for_sale;
CREATE INDEX lands_created_at_idx ON lands (created_at DESC);
CREATE INDEX lands_spatial_idx ON lands USING BRIN (x, y);

CREATE TABLE listings (
  listing_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  land_id UUID NOT NULL REFERENCES lands (land_id),
  seller_id UUID NOT NULL REFERENCES users (user_id),
  type VARCHAR(20) NOT NULL CHECK (type IN ('auction', 'fixed_price', 'buy_now')),
  description TEXT,
  images TEXT[],
  price_bdt BIGINT NOT NULL CHECK (price_bdt > 0),
  reserve_price_bdt BIGINT CHECK (reserve_price_bdt > 0),
  auction_start_time TIMESTAMPTZ,
  auction_end_time TIMESTAMPTZ,
  auto_extend BOOLEAN NOT NULL DEFAULT false,
  auto_extend_s INTEGER CHECK (auto_extend_s BETWEEN 1 AND 86400),
  buy_now_enabled BOOLEAN NOT NULL DEFAULT false,
  buy_now_price_bdt BIGINT CHECK (buy_now_price_bdt > 0),
  -- Proxy bidding: the visible price and the leading bid (its maximum is in bids).
  current_price_bdt BIGINT CHECK (current_price_bdt > 0),
  leading_bid_id UUID,
  bid_count INTEGER NOT NULL DEFAULT 0 CHECK (bid_count >= 0),
  status VARCHAR(20) NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'sold', 'expired', 'cancelled')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sold_at TIMESTAMPTZ,
  CONSTRAINT listings_auction_has_end CHECK (type <> 'auction' OR auction_end_time IS NOT NULL),
  CONSTRAINT listings_buy_now_has_price CHECK (NOT buy_now_enabled OR buy_now_price_bdt IS NOT NULL)
);
-- One active listing per land; closed listings stay as history.
CREATE UNIQUE INDEX listings_one_active_per_land ON listings (land_id) WHERE status = 'active';
CREATE INDEX listings_seller_id_idx ON listings (seller_id);
CREATE INDEX listings_status_idx ON listings (status, created_at DESC) WHERE status = 'active';
CREATE INDEX listings_auction_end_idx ON listings (auction_end_time)
  WHERE status = 'active' AND type = 'auction';
CREATE INDEX listings_created_at_idx ON listings (created_at DESC);

CREATE TABLE bids (
  bid_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  listing_id UUID NOT NULL REFERENCES listings (listing_id),
  bidder_id UUID NOT NULL REFERENCES users (user_id),
  -- The bidder's maximum (proxy bidding); it is also the amount held.
  amount_bdt BIGINT NOT NULL CHECK (amount_bdt > 0),
  status VARCHAR(20) NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'outbid', 'cancelled', 'won', 'lost', 'released')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bids_listing_id_idx ON bids (listing_id, created_at DESC);
CREATE INDEX bids_bidder_id_idx ON bids (bidder_id);
-- At most one leading bid per listing.
CREATE UNIQUE INDEX bids_one_leading_per_listing ON bids (listing_id) WHERE status = 'active';

ALTER TABLE listings ADD CONSTRAINT listings_leading_bid_fkey
  FOREIGN KEY (leading_bid_id) REFERENCES bids (bid_id);
