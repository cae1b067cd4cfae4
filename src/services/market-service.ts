import { z } from "zod";
import { AppError, invalidInput } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { checkListingRequest, decideBid, minimumBid, type AuctionState, type ListingRequest } from "../domain/auction/auction-rules.js";
import { serializableStatement, sql, sqlState, withSerializableRetry, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import { writeAudit } from "./audit-writer.js";
import type { Metrics } from "./metrics.js";
import type { LandChangePublisher } from "./land-changes.js";
import { writeOutbox, type OutboxMessage, type OutboxRelay } from "./outbox.js";
import { findStoredOutcome, storeOutcome, type StoredOutcome } from "./request-results.js";

export interface MarketActor {
  userId: string;
  username: string;
  role: string;
}

const failure = (code: ErrorCode, message: string): StoredOutcome => ({ ok: false, error: { code, message } });
const insufficientFunds = (amountBdt: number) =>
  ({ ok: false, error: { code: ErrorCode.INSUFFICIENT_FUNDS, message: `Your available funds do not cover a bid of ${amountBdt} BDT.` } }) as const;

export const auctionRow = z.object({
  listing_id: z.string(),
  land_id: z.string(),
  seller_id: z.string(),
  type: z.string(),
  status: z.string(),
  price_bdt: z.number(),
  reserve_price_bdt: z.number().nullable(),
  buy_now_price_bdt: z.number().nullable(),
  current_price_bdt: z.number().nullable(),
  bid_count: z.number(),
  auction_end_time: z.string().nullable(),
  auto_extend: z.boolean(),
  auto_extend_s: z.number().nullable(),
  leading_bid_id: z.string().nullable(),
  leader_id: z.string().nullable(),
  leader_maximum_bdt: z.number().nullable(),
  x: z.number(),
  y: z.number(),
});
export type AuctionRow = z.infer<typeof auctionRow>;

/** Reads a listing with its leading bid, locked for the rest of the transaction. */
const listingWithLeader = sql.fragment`
  SELECT li.listing_id, li.land_id, li.seller_id, li.type, li.status, li.price_bdt, li.reserve_price_bdt,
         li.buy_now_price_bdt, li.current_price_bdt, li.bid_count, li.auction_end_time, li.auto_extend,
         li.auto_extend_s, li.leading_bid_id, b.bidder_id AS leader_id, b.amount_bdt AS leader_maximum_bdt,
         la.x, la.y
  FROM listings li
  JOIN lands la ON la.land_id = li.land_id
  LEFT JOIN bids b ON b.bid_id = li.leading_bid_id`;

export function lockListing(tx: DatabaseTransactionConnection, listingId: string) {
  return tx.maybeOne(sql.type(auctionRow)`${listingWithLeader} WHERE li.listing_id = ${listingId} FOR UPDATE OF li`);
}

export function toAuctionState(row: AuctionRow): AuctionState & { reservePriceBdt: number | null } {
  return {
    sellerId: row.seller_id,
    startPriceBdt: row.price_bdt,
    currentPriceBdt: row.current_price_bdt,
    bidCount: row.bid_count,
    leader: row.leader_id !== null && row.leader_maximum_bdt !== null ? { bidderId: row.leader_id, maximumBdt: row.leader_maximum_bdt } : null,
    endMs: row.auction_end_time ? Date.parse(row.auction_end_time) : 0,
    autoExtend: row.auto_extend,
    autoExtendS: row.auto_extend_s,
    reservePriceBdt: row.reserve_price_bdt,
  };
}

/**
 * Listing, cancelling and bidding: the marketplace actions a chunk room runs
 * itself. Bids on one listing are funnelled through one writer — the listing's
 * chunk room lives on one process, and here they queue per listing — so they
 * never fight each other under SERIALIZABLE.
 */
/** At most this many queued bids of one listing are committed together. */
const MAX_BID_BATCH = 64;

interface PendingBid {
  actor: MarketActor;
  req: string;
  amountBdt: number;
  resolve: (outcome: StoredOutcome) => void;
  reject: (error: unknown) => void;
}

/** What `apply_bid_batch` (migration 013) answers: one status per element, in order, and the batch's effects. */
const bidBatchResult = z.object({
  results: z.array(z.object({ status: z.enum(["applied", "stale", "insufficient_funds", "refused", "replayed"]) })),
  outbox_ids: z.array(z.number()),
  updated_at_ms: z.number().nullable(),
});

export function createMarketService(deps: {
  pool: DatabasePool;
  /** A pool made with `serializableByDefault`: a bid is one SERIALIZABLE statement. */
  serializablePool: DatabasePool;
  outbox: OutboxRelay;
  publisher: LandChangePublisher;
  metrics: Metrics;
  now?: () => number;
}) {
  const { pool, outbox } = deps;
  const now = deps.now ?? Date.now;
  const pendingBids = new Map<string, PendingBid[]>();
  const draining = new Set<string>();
  /**
   * The auction state this process's single writer last saw for each listing.
   * A decision made from a stale copy is refused by `apply_bid_batch` (another
   * process settled, sold or cancelled it), and the state is then reloaded.
   */
  const auctionCache = new Map<string, { row: AuctionRow; state: ReturnType<typeof toAuctionState> }>();

  async function loadAuction(listingId: string) {
    const row = await pool.maybeOne(sql.type(auctionRow)`${listingWithLeader} WHERE li.listing_id = ${listingId}`);
    if (!row) {
      auctionCache.delete(listingId);
      return undefined;
    }
    const entry = { row, state: toAuctionState(row) };
    if (row.status === "active") auctionCache.set(listingId, entry);
    else auctionCache.delete(listingId);
    return entry;
  }


  /** Runs one request in a transaction that stores its answer; a repeated req replays it. */
  async function answered(
    actor: MarketActor,
    req: string,
    action: string,
    work: (tx: DatabaseTransactionConnection, outboxMessages: OutboxMessage[]) => Promise<StoredOutcome>,
    serializable = false,
  ): Promise<StoredOutcome> {
    let outboxIds: number[] = [];
    const run = async (tx: DatabaseTransactionConnection) => {
      const stored = await findStoredOutcome(tx, actor.userId, req);
      if (stored) return stored;
      const messages: OutboxMessage[] = [];
      const outcome = await work(tx, messages);
      outboxIds = await writeOutbox(tx, messages);
      await storeOutcome(tx, actor.userId, req, action, outcome);
      return outcome;
    };
    try {
      const outcome = serializable
        ? await withSerializableRetry(pool, run, { onRetry: () => deps.metrics.serializationRetries.labels(action).inc() })
        : await pool.transaction(run);
      // Relayed after answering: the next bid on this listing need not wait
      // for the announcement, and the sweep covers a relay that fails.
      void outbox.relayNow(outboxIds);
      return outcome;
    } catch (error) {
      if (sqlState(error) === "23505") {
        const stored = await findStoredOutcome(pool, actor.userId, req);
        if (stored) return stored;
        throw new AppError(ErrorCode.CONFLICT, "This land already has an active listing.");
      }
      throw error;
    }
  }

  return {
    /**
     * `list`: owner only; one active listing per land.
     * @throws AppError INVALID_INPUT when the terms do not fit the type.
     */
    list(actor: MarketActor, req: string, x: number, y: number, request: ListingRequest): Promise<StoredOutcome> {
      const checked = checkListingRequest(request);
      if (!checked.ok) throw invalidInput(checked.reason);
      const terms = checked.value;
      return answered(actor, req, "list", async (tx, messages) => {
        const land = await tx.maybeOne(sql.type(z.object({ land_id: z.string(), owner_id: z.string() }))`
          SELECT land_id, owner_id FROM lands WHERE x = ${x} AND y = ${y} AND z = 0 FOR UPDATE`);
        if (!land || land.owner_id !== actor.userId) return failure(ErrorCode.NOT_OWNER, "Only the land's owner may list it.");
        const active = await tx.exists(sql.unsafe`SELECT 1 FROM listings WHERE land_id = ${land.land_id} AND status = 'active'`);
        if (active) return failure(ErrorCode.CONFLICT, "This land already has an active listing.");
        const endMs = terms.durationS !== null ? now() + terms.durationS * 1000 : null;
        const listing = await tx.one(sql.type(z.object({ listing_id: z.string(), auction_end_time: z.string().nullable() }))`
          INSERT INTO listings (land_id, seller_id, type, price_bdt, reserve_price_bdt, auction_start_time, auction_end_time,
                                auto_extend, auto_extend_s, buy_now_enabled, buy_now_price_bdt)
          VALUES (${land.land_id}, ${actor.userId}, ${terms.type}, ${terms.priceBdt}, ${terms.reservePriceBdt},
                  ${endMs === null ? null : new Date(now()).toISOString()}, ${endMs === null ? null : new Date(endMs).toISOString()},
                  ${terms.autoExtend}, ${terms.autoExtendS}, ${terms.buyNowPriceBdt !== null}, ${terms.buyNowPriceBdt})
          RETURNING listing_id, auction_end_time`);
        await tx.query(sql.unsafe`UPDATE lands SET for_sale = true, updated_at = clock_timestamp() WHERE land_id = ${land.land_id}`);
        await writeAudit(tx, {
          eventType: "listing_created",
          category: "marketplace",
          actorId: actor.userId,
          actorRole: actor.role,
          resourceType: "listing",
          resourceId: listing.listing_id,
          action: "list",
          details: { land_id: land.land_id, x, y, type: terms.type, price_bdt: terms.priceBdt, duration_s: terms.durationS, req },
          amountBdt: terms.priceBdt,
        });
        messages.push({ topic: "land_changed", payload: { land_id: land.land_id } });
        if (endMs !== null) messages.push({ topic: "schedule_auction_close", payload: { listing_id: listing.listing_id, end_ms: endMs } });
        return {
          ok: true,
          data: { listing_id: listing.listing_id, land_id: land.land_id, type: terms.type, price_bdt: terms.priceBdt, auction_end_ms: endMs ?? 0 },
        };
      });
    },

    /** `cancel_listing`: seller only; an auction with bids cannot be cancelled. */
    cancel(actor: MarketActor, req: string, listingId: string): Promise<StoredOutcome> {
      return answered(actor, req, "cancel_listing", async (tx, messages) => {
        const listing = await lockListing(tx, listingId);
        if (!listing) return failure(ErrorCode.NOT_FOUND, "No such listing.");
        if (listing.seller_id !== actor.userId) return failure(ErrorCode.NOT_OWNER, "Only the seller may cancel a listing.");
        if (listing.status !== "active") return failure(ErrorCode.LISTING_CLOSED, `This listing is already ${listing.status}.`);
        if (listing.type === "auction" && listing.bid_count > 0) {
          return failure(ErrorCode.CONFLICT, "An auction that has bids cannot be cancelled.");
        }
        await tx.query(sql.unsafe`
          UPDATE listings SET status = 'cancelled', closed_at = now(), updated_at = now() WHERE listing_id = ${listingId}`);
        await tx.query(sql.unsafe`UPDATE lands SET for_sale = false, updated_at = clock_timestamp() WHERE land_id = ${listing.land_id}`);
        await writeAudit(tx, {
          eventType: "listing_cancelled",
          category: "marketplace",
          actorId: actor.userId,
          actorRole: actor.role,
          resourceType: "listing",
          resourceId: listingId,
          action: "cancel_listing",
          details: { land_id: listing.land_id, req },
        });
        messages.push({ topic: "land_changed", payload: { land_id: listing.land_id } });
        return { ok: true, data: { listing_id: listingId, status: "cancelled" } };
      });
    },

    /**
     * `bid`: a proxy maximum, held on the bidder; the displaced leader's hold is
     * released in the same transaction. Bids on one listing queue here and are
     * committed in batches by this process, the listing's one writer.
     */
    bid(actor: MarketActor, req: string, listingId: string, amountBdt: number): Promise<StoredOutcome> {
      return new Promise<StoredOutcome>((resolve, reject) => {
        const queue = pendingBids.get(listingId) ?? [];
        queue.push({ actor, req, amountBdt, resolve, reject });
        pendingBids.set(listingId, queue);
        if (!draining.has(listingId)) void drainBids(listingId);
      });
    },
  };

  /** Commits the listing's queued bids, a batch at a time, until none are left. */
  async function drainBids(listingId: string): Promise<void> {
    draining.add(listingId);
    try {
      for (;;) {
        const queue = pendingBids.get(listingId);
        if (!queue || queue.length === 0) break;
        const batch = queue.splice(0, MAX_BID_BATCH);
        try {
          await applyBids(listingId, batch);
        } catch (error) {
          auctionCache.delete(listingId);
          for (const bid of batch) bid.reject(error);
        }
      }
    } finally {
      draining.delete(listingId);
      if (pendingBids.get(listingId)?.length === 0) pendingBids.delete(listingId);
    }
  }

  /**
   * Decides each bid in turn from the auction state this writer holds (each
   * decision builds on the one before) and applies them all with one
   * `apply_bid_batch` statement (migration 013). No stored answer is looked
   * up first: the statement claims each req before acting on it and stores a
   * refusal only for a new req, so a repeated req always gets its first answer.
   */
  async function applyBids(listingId: string, batch: PendingBid[]): Promise<void> {
    let remaining = batch;
    for (let attempt = 0; remaining.length > 0 && attempt < 5; attempt++) {
      const entry = (attempt === 0 ? auctionCache.get(listingId) : undefined) ?? (await loadAuction(listingId));
      let state = entry?.state;
      const plans = remaining.map((bid) => {
        // A refusal decided from the auction state (not from the listing row
        // alone) carries that state's bid count: if an earlier bid of the
        // batch is not applied, that state never happened and it is decided again.
        const refusal = (code: ErrorCode, message: string, decidedFromBidCount?: number) => ({
          bid,
          failure: failure(code, message),
          decidedFromBidCount,
        });
        if (!entry || !state) return refusal(ErrorCode.NOT_FOUND, "No such listing.");
        if (entry.row.type !== "auction") return refusal(ErrorCode.NOT_FOR_SALE, "Only auctions take bids; buy this listing instead.");
        if (entry.row.status !== "active") return refusal(ErrorCode.LISTING_CLOSED, `This auction is ${entry.row.status}.`);
        const decision = decideBid(state, bid.actor.userId, bid.amountBdt, now());
        if (decision.kind === "rejected") return refusal(ErrorCode[decision.code], decision.message, state.bidCount);
        const before = state;
        const newMaximum = decision.outcome === "raised_own_maximum" ? before.leader!.maximumBdt + decision.holdBdt : bid.amountBdt;
        const after = {
          ...before,
          currentPriceBdt: decision.priceBdt,
          bidCount: before.bidCount + 1,
          endMs: decision.endMs,
          leader: decision.outcome === "outbid_at_once" ? before.leader : { bidderId: bid.actor.userId, maximumBdt: newMaximum },
        };
        state = after;
        const data = {
          listing_id: listingId,
          outcome: decision.outcome,
          leading: decision.outcome !== "outbid_at_once",
          price_bdt: decision.priceBdt,
          min_bid_bdt: minimumBid(after),
          auction_end_ms: decision.endMs,
        };
        const landId = entry.row.land_id;
        const args = {
          expected_bid_count: before.bidCount,
          bidder_id: bid.actor.userId,
          bidder_role: bid.actor.role,
          amount: bid.amountBdt,
          outcome: decision.outcome,
          price: decision.priceBdt,
          hold: decision.holdBdt,
          new_maximum: newMaximum,
          displaced_id: decision.displaced?.bidderId ?? null,
          displaced_maximum: decision.displaced?.maximumBdt ?? null,
          end: new Date(decision.endMs).toISOString(),
          extended: decision.extended,
          req: bid.req,
          result: data,
          refusal: insufficientFunds(bid.amountBdt).error,
          outbid_event: { type: "outbid", listing_id: listingId, land_id: landId, price_bdt: decision.priceBdt },
          outbid_user: decision.displaced?.bidderId ?? (decision.outcome === "outbid_at_once" ? bid.actor.userId : null),
          extended_event: { type: "auction_extended", listing_id: listingId, land_id: landId, auction_end_ms: decision.endMs },
        };
        return { bid, args, data, after };
      });

      const elements = plans.map((plan) =>
        "args" in plan
          ? { kind: "apply", args: plan.args }
          : {
              kind: "refuse",
              user_id: plan.bid.actor.userId,
              req: plan.bid.req,
              error: plan.failure.ok ? null : plan.failure.error,
              expected_bid_count: plan.decidedFromBidCount ?? null,
            },
      );
      const batchResult = await serializableStatement(
        deps.serializablePool,
        (serializable) =>
          serializable.oneFirst(sql.type(z.object({ result: bidBatchResult }))`
            SELECT apply_bid_batch(${listingId}, ${sql.jsonb(elements as never)}) AS result`),
        { onRetry: () => deps.metrics.serializationRetries.labels("bid").inc() },
      );

      const stale: PendingBid[] = [];
      let lastApplied: (typeof plans)[number] | undefined;
      let allApplied = true;
      batchResult.results.forEach((result, index) => {
        const plan = plans[index]!;
        switch (result.status) {
          case "applied":
            lastApplied = plan;
            if ("data" in plan) plan.bid.resolve({ ok: true, data: plan.data });
            return;
          case "refused":
            if ("failure" in plan) plan.bid.resolve(plan.failure);
            return;
          case "replayed":
            allApplied = allApplied && !("args" in plan);
            void findStoredOutcome(pool, plan.bid.actor.userId, plan.bid.req).then(
              (stored) => plan.bid.resolve(stored ?? failure(ErrorCode.CONFLICT, "This req was answered before.")),
              plan.bid.reject,
            );
            return;
          case "insufficient_funds":
            // Stored as the req's answer in the same commit.
            allApplied = false;
            plan.bid.resolve(insufficientFunds(plan.bid.amountBdt));
            return;
          case "stale":
            allApplied = false;
            stale.push(plan.bid);
            return;
        }
      });
      if (allApplied && lastApplied && "after" in lastApplied && entry) {
        const after = lastApplied.after;
        auctionCache.set(listingId, {
          row: { ...entry.row, current_price_bdt: after.currentPriceBdt, bid_count: after.bidCount, auction_end_time: new Date(after.endMs).toISOString() },
          state: after,
        });
      } else if (!allApplied) {
        auctionCache.delete(listingId);
      }
      // The chunk hears the new auction state at once, from what this writer
      // just committed; the outbox relay follows with the full land and the
      // events (and covers this announcement if it is lost).
      if (lastApplied && "after" in lastApplied && entry && batchResult.updated_at_ms !== null) {
        const after = lastApplied.after;
        void deps.publisher.publishListing({
          x: entry.row.x,
          y: entry.row.y,
          listing_id: listingId,
          listing_type: "auction",
          price_bdt: after.currentPriceBdt ?? after.startPriceBdt,
          min_bid_bdt: minimumBid(after),
          highest_bid_bdt: after.currentPriceBdt ?? 0,
          highest_bidder_id: after.leader?.bidderId ?? "",
          auction_end_ms: after.endMs,
          updated_at_ms: batchResult.updated_at_ms,
        });
      }
      // Relayed after answering: the next batch need not wait for the
      // announcements, and the outbox sweep covers a relay that fails.
      void outbox.relayNow(batchResult.outbox_ids);
      remaining = stale;
    }
    for (const bid of remaining) bid.resolve(failure(ErrorCode.CONFLICT, "The auction kept changing; try again."));
  }
}
export type MarketService = ReturnType<typeof createMarketService>;
