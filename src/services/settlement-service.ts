import { z } from "zod";
import { ErrorCode } from "../protocol/error-codes.js";
import { decideClose, platformFee } from "../domain/auction/auction-rules.js";
import { sql, sqlState, withSerializableRetry, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import { writeAudit } from "./audit-writer.js";
import { lockListing, toAuctionState, type AuctionRow } from "./market-service.js";
import type { Metrics } from "./metrics.js";
import { writeOutbox, type OutboxMessage, type OutboxRelay } from "./outbox.js";
import { findStoredOutcome, storeOutcome, type StoredOutcome } from "./request-results.js";
import type { WorldConfigService } from "./world-config-service.js";

export interface ListingSaleJob {
  userId: string;
  username: string;
  req: string;
  listingId: string;
}

const failure = (code: ErrorCode, message: string): StoredOutcome => ({ ok: false, error: { code, message } });

/**
 * Settlements, run by the BullMQ workers: buying a listing (`buy_listing`)
 * and closing an auction. Each is one SERIALIZABLE transaction that moves the
 * money, the land and the listing together, with the transaction row, audit
 * rows, notifications and outbox rows. A settlement that runs twice changes
 * nothing the second time: the listing must still be active (a conditional
 * update) and the database allows one sale transaction per listing.
 */
export function createSettlementService(deps: {
  pool: DatabasePool;
  worldConfig: WorldConfigService;
  outbox: OutboxRelay;
  metrics: Metrics;
  now?: () => number;
  /** Test-only: pause inside each settlement's transaction (see config `faultSettlementDelayMs`). */
  faultDelayMs?: number;
}) {
  const { pool, outbox } = deps;
  const pauseForFaultInjection = async () => {
    if (deps.faultDelayMs) await new Promise((resolve) => setTimeout(resolve, deps.faultDelayMs));
  };
  const now = deps.now ?? Date.now;

  /** Moves a listed land to its buyer at `priceBdt`; the seller gets the price less the platform fee. */
  async function transfer(
    tx: DatabaseTransactionConnection,
    listing: AuctionRow,
    buyerId: string,
    priceBdt: number,
    kind: "listing_sale" | "auction_sale",
    request: { userId: string; req: string } | null,
    messages: OutboxMessage[],
  ) {
    const { feePercent } = await deps.worldConfig.currentIn(tx);
    const fee = platformFee(priceBdt, feePercent);
    const closed = await tx.query(sql.unsafe`
      UPDATE listings SET status = 'sold', sold_at = now(), closed_at = now(), updated_at = now()
      WHERE listing_id = ${listing.listing_id} AND status = 'active'`);
    if (closed.rowCount !== 1) throw new Error(`listing ${listing.listing_id} was settled concurrently`);
    await tx.query(sql.unsafe`
      UPDATE users SET balance_bdt = balance_bdt + ${priceBdt - fee}, updated_at = now() WHERE user_id = ${listing.seller_id}`);
    const transactionId = await tx.oneFirst(sql.type(z.object({ transaction_id: z.string() }))`
      INSERT INTO transactions (land_id, seller_id, buyer_id, listing_id, kind, amount_bdt, status, platform_fee_bdt,
                                request_user_id, request_req, completed_at)
      VALUES (${listing.land_id}, ${listing.seller_id}, ${buyerId}, ${listing.listing_id}, ${kind}, ${priceBdt}, 'completed',
              ${fee}, ${request?.userId ?? null}, ${request?.req ?? null}, now())
      RETURNING transaction_id`);
    if (fee > 0) {
      await tx.query(sql.unsafe`
        INSERT INTO world_ledger (amount_bdt, reason, transaction_id) VALUES (${fee}, 'platform_fee', ${transactionId})`);
    }
    // A sale clears the fence and the public message: they were the seller's.
    await tx.query(sql.unsafe`
      UPDATE lands SET owner_id = ${buyerId}, fenced = false, passcode_hash = NULL, passcode_updated_at = NULL,
                       public_message = NULL, for_sale = false, updated_at = clock_timestamp()
      WHERE land_id = ${listing.land_id}`);
    await writeAudit(tx, {
      eventType: "land_sold",
      category: "land_transfer",
      actorId: buyerId,
      actorRole: "user",
      resourceType: "land",
      resourceId: listing.land_id,
      action: kind,
      details: { listing_id: listing.listing_id, seller_id: listing.seller_id, transaction_id: transactionId, fee_bdt: fee },
      amountBdt: priceBdt,
    });
    await writeAudit(tx, {
      eventType: "sale_proceeds",
      category: "payment",
      actorId: listing.seller_id,
      actorRole: "user",
      resourceType: "transaction",
      resourceId: transactionId,
      action: kind,
      details: { listing_id: listing.listing_id, fee_bdt: fee, fee_percent: feePercent },
      amountBdt: priceBdt - fee,
    });
    const soldEvent = { type: "sold", listing_id: listing.listing_id, land_id: listing.land_id, buyer_id: buyerId, price_bdt: priceBdt };
    await notify(tx, listing.seller_id, soldEvent, messages);
    return { transactionId, fee, soldEvent };
  }

  async function notify(
    tx: DatabaseTransactionConnection,
    userId: string,
    event: Record<string, unknown> & { type: string },
    messages: OutboxMessage[],
  ) {
    await tx.query(sql.unsafe`INSERT INTO notifications (user_id, type, payload) VALUES (${userId}, ${event.type}, ${sql.jsonb(event)})`);
    messages.push({ topic: "notify", payload: { user_id: userId, event } });
  }

  /** Releases the leading bid's hold and marks the bid with `status`. */
  async function releaseLeader(tx: DatabaseTransactionConnection, listing: AuctionRow, status: "lost" | "won") {
    if (!listing.leading_bid_id || !listing.leader_id || listing.leader_maximum_bdt === null) return;
    await tx.query(sql.unsafe`
      UPDATE users SET held_bdt = held_bdt - ${listing.leader_maximum_bdt}, updated_at = now() WHERE user_id = ${listing.leader_id}`);
    await tx.query(sql.unsafe`UPDATE bids SET status = ${status} WHERE bid_id = ${listing.leading_bid_id}`);
  }

  return {
    /** `buy_listing`: a fixed-price or buy-now listing, or an auction at its buy-now price. */
    async buyListing(job: ListingSaleJob): Promise<StoredOutcome> {
      let outboxIds: number[] = [];
      try {
        const outcome = await withSerializableRetry(
          pool,
          async (tx) => {
            const stored = await findStoredOutcome(tx, job.userId, job.req);
            if (stored) return stored;
            const messages: OutboxMessage[] = [];
            const outcome = await (async (): Promise<StoredOutcome> => {
              const listing = await lockListing(tx, job.listingId);
              if (!listing) return failure(ErrorCode.NOT_FOUND, "No such listing.");
              if (listing.status !== "active") return failure(ErrorCode.LISTING_CLOSED, `This listing is ${listing.status}.`);
              if (listing.seller_id === job.userId) return failure(ErrorCode.OWN_LISTING, "You cannot buy your own listing.");
              const isAuction = listing.type === "auction";
              if (isAuction && listing.buy_now_price_bdt === null) {
                return failure(ErrorCode.NOT_FOR_SALE, "This auction has no buy-now price; bid instead.");
              }
              if (isAuction && listing.auction_end_time && Date.parse(listing.auction_end_time) <= now()) {
                return failure(ErrorCode.LISTING_CLOSED, "This auction has ended.");
              }
              const price = isAuction ? listing.buy_now_price_bdt! : listing.price_bdt;
              const debited = await tx.maybeOne(sql.type(z.object({ balance_bdt: z.number() }))`
                UPDATE users SET balance_bdt = balance_bdt - ${price}, updated_at = now()
                WHERE user_id = ${job.userId} AND balance_bdt - held_bdt >= ${price}
                RETURNING balance_bdt`);
              if (!debited) return failure(ErrorCode.INSUFFICIENT_FUNDS, `This listing costs ${price} BDT; your available funds do not cover it.`);
              if (isAuction && listing.leader_id) {
                await releaseLeader(tx, listing, "lost");
                await notify(tx, listing.leader_id, { type: "auction_closed", listing_id: listing.listing_id, land_id: listing.land_id, outcome: "bought_now" }, messages);
              }
              const { transactionId, fee, soldEvent } = await transfer(
                tx,
                listing,
                job.userId,
                price,
                isAuction ? "auction_sale" : "listing_sale",
                { userId: job.userId, req: job.req },
                messages,
              );
              const events = [soldEvent, ...(isAuction ? [{ type: "auction_closed", listing_id: listing.listing_id, land_id: listing.land_id, outcome: "bought_now", winner_id: job.userId, price_bdt: price }] : [])];
              messages.push({ topic: "land_changed", payload: { land_id: listing.land_id, events } });
              return {
                ok: true,
                data: { listing_id: listing.listing_id, land_id: listing.land_id, price_bdt: price, fee_bdt: fee, balance_bdt: debited.balance_bdt, transaction_id: transactionId },
              };
            })();
            outboxIds = await writeOutbox(tx, messages);
            await storeOutcome(tx, job.userId, job.req, "buy_listing", outcome);
            return outcome;
          },
          { onRetry: () => deps.metrics.serializationRetries.labels("buy_listing").inc() },
        );
        await outbox.relayNow(outboxIds);
        return outcome;
      } catch (error) {
        if (sqlState(error) === "23505") {
          const stored = await findStoredOutcome(pool, job.userId, job.req);
          if (stored) return stored;
        }
        throw error;
      }
    },

    /**
     * Closes an auction if it is still active and its end has passed; does
     * nothing otherwise (a late, early or repeated close job is harmless).
     */
    async closeAuction(listingId: string): Promise<"sold" | "expired" | "nothing"> {
      let outboxIds: number[] = [];
      const result = await withSerializableRetry(
        pool,
        async (tx) => {
          const listing = await lockListing(tx, listingId);
          if (!listing || listing.type !== "auction" || listing.status !== "active") return "nothing" as const;
          const decision = decideClose(toAuctionState(listing), now());
          if (decision.kind === "not_due") return "nothing" as const;
          await pauseForFaultInjection();
          const messages: OutboxMessage[] = [];
          let event: Record<string, unknown> & { type: string };
          if (decision.kind === "sold") {
            // The winner pays the final price out of what was held for them.
            await releaseLeader(tx, listing, "won");
            await tx.query(sql.unsafe`
              UPDATE users SET balance_bdt = balance_bdt - ${decision.priceBdt}, updated_at = now()
              WHERE user_id = ${decision.winnerId}`);
            await transfer(tx, listing, decision.winnerId, decision.priceBdt, "auction_sale", null, messages);
            event = { type: "auction_closed", listing_id: listingId, land_id: listing.land_id, outcome: "sold", winner_id: decision.winnerId, price_bdt: decision.priceBdt };
            await notify(tx, decision.winnerId, { ...event, type: "won" }, messages);
          } else {
            await releaseLeader(tx, listing, "lost");
            await tx.query(sql.unsafe`
              UPDATE listings SET status = 'expired', closed_at = now(), updated_at = now()
              WHERE listing_id = ${listingId} AND status = 'active'`);
            await tx.query(sql.unsafe`UPDATE lands SET for_sale = false, updated_at = clock_timestamp() WHERE land_id = ${listing.land_id}`);
            await writeAudit(tx, {
              eventType: "auction_expired",
              category: "marketplace",
              actorId: null,
              actorRole: "system",
              resourceType: "listing",
              resourceId: listingId,
              action: "close_auction",
              details: { reserve_met: false, bid_count: listing.bid_count },
            });
            event = { type: "auction_closed", listing_id: listingId, land_id: listing.land_id, outcome: "expired" };
            await notify(tx, listing.seller_id, event, messages);
            if (decision.leaderId) await notify(tx, decision.leaderId, event, messages);
          }
          messages.push({ topic: "land_changed", payload: { land_id: listing.land_id, events: [event] } });
          outboxIds = await writeOutbox(tx, messages);
          return decision.kind;
        },
        { onRetry: () => deps.metrics.serializationRetries.labels("close_auction").inc() },
      );
      await outbox.relayNow(outboxIds);
      return result;
    },

    /** Auctions still active after their end (a lost or late close job); the sweeper closes them. */
    async overdueAuctions(limit = 100): Promise<string[]> {
      const rows = await pool.any(sql.type(z.object({ listing_id: z.string() }))`
        SELECT listing_id FROM listings
        WHERE status = 'active' AND type = 'auction' AND auction_end_time <= ${new Date(now()).toISOString()}
        ORDER BY auction_end_time LIMIT ${limit}`);
      return rows.map((row) => row.listing_id);
    },
  };
}
export type SettlementService = ReturnType<typeof createSettlementService>;
