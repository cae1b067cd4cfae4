/**
 * The marketplace's read side: listings, one listing with its bids, and a
 * user's transactions and notifications, as the HTTP routes serve them
 * (docs/MARKET.md, "Reading the market (HTTP)").
 *
 * Two amounts are private and never leave this module: a listing's reserve
 * price (only `reserve_met` is shown) and a bid's `amount_bdt`, which is the
 * bidder's proxy maximum (shown to that bidder alone).
 */
import { z } from "zod";
import { invalidInput, notFound } from "../errors.js";
import { sql, type DatabasePool } from "../db/database.js";
import { minimumNextBid } from "../domain/auction/bid-increments.js";
import { CHUNK_SIZE } from "../protocol/room-messages.js";
import type { ListingStatus, ListingType } from "../protocol/http-schemas.js";
import { decodeCursor, paginate, type PageInput } from "./pagination.js";

const listingRow = z.object({
  listing_id: z.string(),
  land_id: z.string(),
  x: z.number(),
  y: z.number(),
  seller_id: z.string(),
  seller_name: z.string(),
  type: z.string(),
  status: z.string(),
  price_bdt: z.number(),
  has_reserve: z.boolean(),
  /** Null without a reserve or without a leading bid. */
  leader_reaches_reserve: z.boolean().nullable(),
  buy_now_price_bdt: z.number().nullable(),
  current_price_bdt: z.number().nullable(),
  bid_count: z.number(),
  auction_start_time: z.string().nullable(),
  auction_end_time: z.string().nullable(),
  auto_extend: z.boolean(),
  auto_extend_s: z.number().nullable(),
  created_at: z.string(),
  sold_at: z.string().nullable(),
  closed_at: z.string().nullable(),
});
type ListingRow = z.infer<typeof listingRow>;

// The reserve and the leading maximum are compared in the database: only the
// boolean ever reaches this process, so no code path can leak either amount.
const listingSelect = sql.fragment`
  SELECT li.listing_id, li.land_id, la.x, la.y, li.seller_id, u.username AS seller_name, li.type, li.status,
         li.price_bdt, li.reserve_price_bdt IS NOT NULL AS has_reserve,
         lb.amount_bdt >= li.reserve_price_bdt AS leader_reaches_reserve,
         li.buy_now_price_bdt, li.current_price_bdt, li.bid_count,
         li.auction_start_time, li.auction_end_time, li.auto_extend, li.auto_extend_s, li.created_at,
         li.sold_at, li.closed_at
  FROM listings li
  JOIN lands la ON la.land_id = li.land_id
  JOIN users u ON u.user_id = li.seller_id
  LEFT JOIN bids lb ON lb.bid_id = li.leading_bid_id`;

/** A listing as the HTTP API shows it: no reserve amount, no leading bid's maximum. */
export interface PublicListing {
  listing_id: string;
  land_id: string;
  x: number;
  y: number;
  seller_id: string;
  seller_name: string;
  type: string;
  status: string;
  /** The fixed price, or an auction's starting bid. */
  price_bdt: number;
  buy_now_price_bdt: number | null;
  /** An auction's visible price; null until its first bid. */
  current_price_bdt: number | null;
  /** The lowest acceptable next bid of an active auction; null otherwise. */
  min_bid_bdt: number | null;
  bid_count: number;
  /** Null without a reserve; else whether the leading bid's maximum reaches it (the auction would sell now). */
  reserve_met: boolean | null;
  auction_start_time: string | null;
  auction_end_time: string | null;
  auto_extend: boolean;
  auto_extend_s: number | null;
  created_at: string;
  sold_at: string | null;
  closed_at: string | null;
}

function toPublicListing(row: ListingRow): PublicListing {
  const isOpenAuction = row.type === "auction" && row.status === "active";
  return {
    listing_id: row.listing_id,
    land_id: row.land_id,
    x: row.x,
    y: row.y,
    seller_id: row.seller_id,
    seller_name: row.seller_name,
    type: row.type,
    status: row.status,
    price_bdt: row.price_bdt,
    buy_now_price_bdt: row.buy_now_price_bdt,
    current_price_bdt: row.current_price_bdt,
    min_bid_bdt: isOpenAuction ? minimumNextBid(row.price_bdt, row.current_price_bdt, row.bid_count) : null,
    bid_count: row.bid_count,
    // eBay's rule, and the one the close applies (decideClose): met once the
    // leader's maximum reaches the reserve, even while the visible price is
    // below it. The flag tells bidders exactly that one bit, nothing more.
    reserve_met: row.has_reserve ? row.leader_reaches_reserve === true : null,
    auction_start_time: row.auction_start_time,
    auction_end_time: row.auction_end_time,
    auto_extend: row.auto_extend,
    auto_extend_s: row.auto_extend_s,
    created_at: row.created_at,
    sold_at: row.sold_at,
    closed_at: row.closed_at,
  };
}

const bidRow = z.object({
  bid_id: z.string(),
  bidder_id: z.string(),
  bidder_name: z.string(),
  amount_bdt: z.number(),
  status: z.string(),
  created_at: z.string(),
});

/** A bid as the HTTP API shows it; `amount_bdt` (the bidder's maximum) only to that bidder. */
export interface PublicBid {
  bid_id: string;
  bidder_id: string;
  bidder_name: string;
  /** The bidder's proxy maximum when the viewer is that bidder; null for everyone else. */
  amount_bdt: number | null;
  status: string;
  created_at: string;
}

const transactionRow = z.object({
  transaction_id: z.string(),
  kind: z.string(),
  land_id: z.string(),
  x: z.number().nullable(),
  y: z.number().nullable(),
  listing_id: z.string().nullable(),
  buyer_id: z.string(),
  seller_id: z.string(),
  amount_bdt: z.number(),
  platform_fee_bdt: z.number(),
  seller_receives_bdt: z.number(),
  status: z.string(),
  created_at: z.string(),
});

export interface MyTransaction {
  transaction_id: string;
  kind: string;
  land_id: string;
  x: number | null;
  y: number | null;
  listing_id: string | null;
  role: "buyer" | "seller";
  counterparty_id: string;
  amount_bdt: number;
  platform_fee_bdt: number;
  seller_receives_bdt: number;
  status: string;
  created_at: string;
}

const notificationRow = z.object({
  notification_id: z.string(),
  type: z.string(),
  payload: z.unknown(),
  created_at: z.string(),
  read_at: z.string().nullable(),
});

export interface ListListingsInput {
  status?: ListingStatus;
  type?: ListingType;
  cx?: number;
  cy?: number;
  seller_id?: string;
  limit: number;
  cursor?: string;
}

export function createListingsQueryService(deps: { pool: DatabasePool }) {
  const { pool } = deps;

  return {
    /**
     * Listings newest first, `active` unless another status is asked for, optionally of one type, seller or chunk.
     * @throws AppError INVALID_INPUT for a bad cursor, or cx without cy (or the reverse).
     */
    async listListings(input: ListListingsInput): Promise<{ listings: PublicListing[]; next_cursor: string | null }> {
      if ((input.cx === undefined) !== (input.cy === undefined)) throw invalidInput("give cx and cy together.");
      const cursor = decodeCursor(input.cursor);
      const conditions = [
        sql.fragment`li.status = ${input.status ?? "active"}`,
        input.type ? sql.fragment`li.type = ${input.type}` : null,
        input.seller_id ? sql.fragment`li.seller_id = ${input.seller_id}` : null,
        input.cx !== undefined && input.cy !== undefined
          ? sql.fragment`la.x >= ${input.cx * CHUNK_SIZE} AND la.x < ${(input.cx + 1) * CHUNK_SIZE}
              AND la.y >= ${input.cy * CHUNK_SIZE} AND la.y < ${(input.cy + 1) * CHUNK_SIZE}`
          : null,
        cursor
          ? sql.fragment`(li.created_at, li.listing_id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`
          : null,
      ].filter((condition) => condition !== null);
      const rows = await pool.any(sql.type(listingRow)`
        ${listingSelect}
        WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY li.created_at DESC, li.listing_id DESC
        LIMIT ${input.limit + 1}`);
      const { page, nextCursor } = paginate(rows, input.limit, (row) => ({ createdAt: row.created_at, id: row.listing_id }));
      return { listings: page.map(toPublicListing), next_cursor: nextCursor };
    },

    /**
     * One listing and all its bids, newest first. A bid's `amount_bdt` is the
     * bidder's secret proxy maximum: it is shown only when `viewerUserId` is that bidder.
     * @throws AppError NOT_FOUND when no listing has this id.
     */
    async getListing(listingId: string, viewerUserId?: string): Promise<{ listing: PublicListing; bids: PublicBid[] }> {
      const row = await pool.maybeOne(sql.type(listingRow)`${listingSelect} WHERE li.listing_id = ${listingId}`);
      if (!row) throw notFound("No listing has this id.");
      const bids = await pool.any(sql.type(bidRow)`
        SELECT b.bid_id, b.bidder_id, u.username AS bidder_name, b.amount_bdt, b.status, b.created_at
        FROM bids b
        JOIN users u ON u.user_id = b.bidder_id
        WHERE b.listing_id = ${listingId}
        ORDER BY b.created_at DESC, b.bid_id DESC`);
      return {
        listing: toPublicListing(row),
        bids: bids.map((bid) => ({
          bid_id: bid.bid_id,
          bidder_id: bid.bidder_id,
          bidder_name: bid.bidder_name,
          amount_bdt: viewerUserId !== undefined && bid.bidder_id === viewerUserId ? bid.amount_bdt : null,
          status: bid.status,
          created_at: bid.created_at,
        })),
      };
    },

    /**
     * The user's transactions as buyer or seller, newest first.
     * @throws AppError INVALID_INPUT for a bad cursor.
     */
    async myTransactions(userId: string, input: PageInput): Promise<{ transactions: MyTransaction[]; next_cursor: string | null }> {
      const cursor = decodeCursor(input.cursor);
      const after = cursor
        ? sql.fragment`AND (t.created_at, t.transaction_id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`
        : sql.fragment``;
      // One branch per side, each served by its (party, created_at DESC) index;
      // a user is never both parties of one transaction, so nothing repeats.
      // transactions.land_id has no foreign key (migration 007): LEFT JOIN lands.
      const side = (column: "buyer_id" | "seller_id") => sql.fragment`
        (SELECT t.transaction_id, t.kind, t.land_id, t.listing_id, t.buyer_id, t.seller_id, t.amount_bdt,
                t.platform_fee_bdt, t.seller_receives_bdt, t.status, t.created_at
         FROM transactions t
         WHERE ${sql.identifier(["t", column])} = ${userId} ${after}
         ORDER BY t.created_at DESC, t.transaction_id DESC
         LIMIT ${input.limit + 1})`;
      const rows = await pool.any(sql.type(transactionRow)`
        SELECT mine.transaction_id, mine.kind, mine.land_id, la.x, la.y, mine.listing_id, mine.buyer_id,
               mine.seller_id, mine.amount_bdt, mine.platform_fee_bdt, mine.seller_receives_bdt, mine.status,
               mine.created_at
        FROM (${side("buyer_id")} UNION ALL ${side("seller_id")}) AS mine
        LEFT JOIN lands la ON la.land_id = mine.land_id
        ORDER BY mine.created_at DESC, mine.transaction_id DESC
        LIMIT ${input.limit + 1}`);
      const { page, nextCursor } = paginate(rows, input.limit, (row) => ({ createdAt: row.created_at, id: row.transaction_id }));
      return {
        transactions: page.map((row) => {
          const isBuyer = row.buyer_id === userId;
          return {
            transaction_id: row.transaction_id,
            kind: row.kind,
            land_id: row.land_id,
            x: row.x,
            y: row.y,
            listing_id: row.listing_id,
            role: isBuyer ? "buyer" : "seller",
            counterparty_id: isBuyer ? row.seller_id : row.buyer_id,
            amount_bdt: row.amount_bdt,
            platform_fee_bdt: row.platform_fee_bdt,
            seller_receives_bdt: row.seller_receives_bdt,
            status: row.status,
            created_at: row.created_at,
          };
        }),
        next_cursor: nextCursor,
      };
    },

    /**
     * The user's stored notifications (outbid, sold, won, …), newest first.
     * @throws AppError INVALID_INPUT for a bad cursor.
     */
    async myNotifications(userId: string, input: PageInput) {
      const cursor = decodeCursor(input.cursor);
      const after = cursor
        ? sql.fragment`AND (created_at, notification_id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`
        : sql.fragment``;
      const rows = await pool.any(sql.type(notificationRow)`
        SELECT notification_id, type, payload, created_at, read_at
        FROM notifications
        WHERE user_id = ${userId} ${after}
        ORDER BY created_at DESC, notification_id DESC
        LIMIT ${input.limit + 1}`);
      const { page, nextCursor } = paginate(rows, input.limit, (row) => ({ createdAt: row.created_at, id: row.notification_id }));
      return { notifications: page, next_cursor: nextCursor };
    },
  };
}
export type ListingsQueryService = ReturnType<typeof createListingsQueryService>;
