import { schema, t, type SchemaType } from "@colyseus/schema";

/**
 * A land that is owned or listed, as the `chunk` room shows it (PROTOCOL.md,
 * room `chunk`). Empty string / 0 where none. `updated_at_ms` is the commit
 * time of the change that last touched it, so clients can measure broadcast
 * latency.
 */
export const LandState = schema(
  {
    land_id: t.string(),
    x: t.int32(),
    y: t.int32(),
    owner_id: t.string(),
    owner_name: t.string(),
    fenced: t.boolean(),
    public_message: t.string(),
    for_sale: t.boolean(),
    listing_id: t.string(),
    listing_type: t.string(),
    price_bdt: t.float64(),
    min_bid_bdt: t.float64(),
    highest_bid_bdt: t.float64(),
    highest_bidder_id: t.string(),
    auction_end_ms: t.float64(),
    updated_at_ms: t.float64(),
  },
  "Land",
);
export type LandState = SchemaType<typeof LandState>;

export const ChunkState = schema(
  {
    cx: t.int32(),
    cy: t.int32(),
    lands: t.map(LandState),
  },
  "ChunkState",
);
export type ChunkState = SchemaType<typeof ChunkState>;
