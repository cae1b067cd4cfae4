import { z } from "zod";
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import type { KeysetCursor } from "./pagination.js";

type Queryable = DatabasePool | DatabaseTransactionConnection;

/** An owned land with its owner's name and its active listing, if any: what rooms and `GET /lands/:x/:y` show. */
export const landOverlayRow = z.object({
  land_id: z.string(),
  x: z.number(),
  y: z.number(),
  biome: z.string(),
  elevation: z.number(),
  color_hex: z.string(),
  price_base_bdt: z.number(),
  owner_id: z.string(),
  owner_name: z.string(),
  fenced: z.boolean(),
  public_message: z.string().nullable(),
  for_sale: z.boolean(),
  updated_at: z.string(),
  /** When the land was first bought. */
  created_at: z.string(),
  listing_id: z.string().nullable(),
  listing_type: z.string().nullable(),
  listing_price_bdt: z.number().nullable(),
  reserve_price_bdt: z.number().nullable(),
  buy_now_price_bdt: z.number().nullable(),
  current_price_bdt: z.number().nullable(),
  leading_bidder_id: z.string().nullable(),
  bid_count: z.number().nullable(),
  auction_end_time: z.string().nullable(),
  listing_created_at: z.string().nullable(),
});
export type LandOverlayRow = z.infer<typeof landOverlayRow>;

const overlaySelect = sql.fragment`
  SELECT l.land_id, l.x, l.y, l.biome, l.elevation, l.color_hex, l.price_base_bdt, l.owner_id,
         u.username AS owner_name, l.fenced, l.public_message, l.for_sale, l.updated_at, l.created_at,
         li.listing_id, li.type AS listing_type, li.price_bdt AS listing_price_bdt, li.reserve_price_bdt,
         li.buy_now_price_bdt, li.current_price_bdt, b.bidder_id AS leading_bidder_id, li.bid_count,
         li.auction_end_time, li.created_at AS listing_created_at
  FROM lands l
  JOIN users u ON u.user_id = l.owner_id
  LEFT JOIN listings li ON li.land_id = l.land_id AND li.status = 'active'
  LEFT JOIN bids b ON b.bid_id = li.leading_bid_id`;

export function createLandsRepository() {
  return {
    findOverlayAt(db: Queryable, x: number, y: number) {
      return db.maybeOne(sql.type(landOverlayRow)`${overlaySelect} WHERE l.x = ${x} AND l.y = ${y} AND l.z = 0`);
    },

    findOverlayById(db: Queryable, landId: string) {
      return db.maybeOne(sql.type(landOverlayRow)`${overlaySelect} WHERE l.land_id = ${landId}`);
    },

    /**
     * A page of the lands `ownerId` owns, newest first (by when the land was
     * first bought), after the keyset (`created_at`, `land_id`) if given; one
     * row more than `limit` tells there is a next page.
     */
    listOwnedBy(db: Queryable, ownerId: string, limit: number, after?: KeysetCursor) {
      const keyset = after ? sql.fragment`AND (l.created_at, l.land_id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : sql.fragment``;
      return db.any(sql.type(landOverlayRow)`
        ${overlaySelect} WHERE l.owner_id = ${ownerId} ${keyset}
        ORDER BY l.created_at DESC, l.land_id DESC
        LIMIT ${limit + 1}`);
    },

    /** Owned lands with x in [x0, x1) and y in [y0, y1): a chunk's overlay. */
    listOverlayInRect(db: Queryable, x0: number, y0: number, x1: number, y1: number) {
      return db.any(sql.type(landOverlayRow)`
        ${overlaySelect}
        WHERE l.x >= ${x0} AND l.x < ${x1} AND l.y >= ${y0} AND l.y < ${y1} AND l.z = 0`);
    },
  };
}
export type LandsRepository = ReturnType<typeof createLandsRepository>;
