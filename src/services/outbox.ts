import { z } from "zod";
import type { Queue } from "bullmq";
import type { Presence } from "@colyseus/core";
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { LandChangeMessage, LandChangePublisher } from "./land-changes.js";

/**
 * The transactional outbox. Whatever must happen after a commit — scheduling
 * an auction's close, announcing a land change, telling a user — is written
 * here inside that commit, then relayed: at once by the committing process,
 * and by a periodic sweep for anything a crash left behind. Every effect is
 * idempotent (deterministic job ids, state-setting announcements), so a row
 * relayed twice does no harm.
 */
export type OutboxMessage =
  | { topic: "schedule_auction_close"; payload: { listing_id: string; end_ms: number } }
  | { topic: "land_changed"; payload: { land_id: string; events?: LandChangeMessage["events"] } }
  | { topic: "notify"; payload: { user_id: string; event: Record<string, unknown> & { type: string } } };

/** Writes outbox rows inside the caller's transaction; returns their ids for an immediate relay. */
export async function writeOutbox(tx: DatabaseTransactionConnection, messages: OutboxMessage[]): Promise<number[]> {
  if (messages.length === 0) return [];
  const rows = await tx.any(sql.type(z.object({ outbox_id: z.number() }))`
    INSERT INTO outbox (topic, payload)
    SELECT * FROM ${sql.unnest(
      messages.map((message) => [message.topic, JSON.stringify(message.payload)]),
      ["text", "jsonb"],
    )}
    RETURNING outbox_id`);
  return rows.map((row) => row.outbox_id);
}

/** The BullMQ job id of an auction's close: it changes with each extension, so the old one fires harmlessly. */
export function auctionCloseJobId(listingId: string, endMs: number): string {
  return `close-${listingId}-${endMs}`;
}

/** The presence channel where a user's live events are published, whichever process they are connected to. */
export function userEventsChannel(userId: string): string {
  return `user-events:${userId}`;
}

const outboxRow = z.object({ outbox_id: z.number(), topic: z.string(), payload: z.any() });

export function createOutboxRelay(deps: {
  pool: DatabasePool;
  auctionsQueue: Queue;
  publisher: LandChangePublisher;
  presence: Presence;
  logger: Logger;
}) {
  async function deliver(message: OutboxMessage): Promise<void> {
    switch (message.topic) {
      case "schedule_auction_close": {
        const { listing_id, end_ms } = message.payload;
        await deps.auctionsQueue.add(
          "close",
          { listingId: listing_id },
          {
            jobId: auctionCloseJobId(listing_id, end_ms),
            delay: Math.max(0, end_ms - Date.now()),
            attempts: 10,
            backoff: { type: "exponential", delay: 500 },
            removeOnComplete: { age: 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        );
        return;
      }
      case "land_changed":
        await deps.publisher.publish(message.payload.land_id, message.payload.events);
        return;
      case "notify":
        await deps.presence.publish(userEventsChannel(message.payload.user_id), message.payload.event);
        return;
    }
  }

  /**
   * Relays rows and marks them dispatched. Without a transaction around the
   * deliveries: a row may be relayed twice (by the committing process and by
   * the sweep) but never lost, as it is marked only after its delivery.
   */
  async function relay(ids?: number[]): Promise<number> {
    if (ids && ids.length === 0) return 0;
    const rows = await deps.pool.any(sql.type(outboxRow)`
      SELECT outbox_id, topic, payload FROM outbox
      WHERE dispatched_at IS NULL ${ids ? sql.fragment`AND outbox_id = ANY(${sql.array(ids, "int8")})` : sql.fragment``}
      ORDER BY outbox_id
      LIMIT 200`);
    // Several changes of one land (a batch of bids) are announced once, with
    // all their events: the announcement carries the land's current state.
    const landChanges = new Map<string, NonNullable<LandChangeMessage["events"]>>();
    for (const row of rows) {
      const message = { topic: row.topic, payload: row.payload } as OutboxMessage;
      if (message.topic === "land_changed") {
        const events = landChanges.get(message.payload.land_id) ?? [];
        events.push(...(message.payload.events ?? []));
        landChanges.set(message.payload.land_id, events);
      } else {
        await deliver(message);
      }
    }
    for (const [landId, events] of landChanges) {
      await deliver({ topic: "land_changed", payload: { land_id: landId, events } });
    }
    if (rows.length > 0) {
      await deps.pool.query(sql.unsafe`
        UPDATE outbox SET dispatched_at = now()
        WHERE outbox_id = ANY(${sql.array(rows.map((row) => row.outbox_id), "int8")}) AND dispatched_at IS NULL`);
    }
    return rows.length;
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    /** Relays right after a commit; failures are left to the sweep. */
    async relayNow(ids: number[]): Promise<void> {
      await relay(ids).catch((error: unknown) => deps.logger.warn({ err: error }, "outbox relay failed; the sweep will retry"));
    },
    relayPending: () => relay(),
    /** Sweeps pending rows every `intervalMs`. */
    start(intervalMs = 1_000): void {
      timer = setInterval(() => {
        void relay().catch((error: unknown) => deps.logger.warn({ err: error }, "outbox sweep failed"));
      }, intervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
  };
}
export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
