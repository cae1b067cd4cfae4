import type { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import type { StoredOutcome } from "../services/request-results.js";

/**
 * How a purchase job's committed answer reaches the chunk room that asked for
 * it. The worker announces each answer on one Redis channel as soon as its
 * transaction commits; every server process listens and answers the rooms
 * waiting for that job.
 *
 * Why not BullMQ's QueueEvents: every server process would read every event
 * of every job (added, waiting, active, completed) from the queue's stream
 * with blocking reads, and each wait would cost one more script call; the
 * answer would also arrive only after the job is marked completed. One small
 * message per batch of answers costs a fraction of that, and it grows with
 * the number of purchases, not with purchases × events.
 *
 * Pub/sub delivers at most once (an announcement made while a server's
 * subscription is down is gone), so the waiting side also looks a late job
 * up itself (see `createPurchaseRequester`).
 */
export type OutcomeAnnouncement = { jobId: string; outcome: StoredOutcome } | { jobId: string; failed: string };

export function purchaseOutcomesChannel(queuePrefix: string): string {
  return `${queuePrefix}:purchase-outcomes`;
}

/** The worker's side: answers announced in the same turn of the event loop go out as one message. */
export function createOutcomeAnnouncer(redis: Redis, channel: string, logger: Logger) {
  let pending: OutcomeAnnouncement[] = [];
  function flush(): void {
    const batch = pending;
    pending = [];
    // A lost announcement delays the answer (the server looks the job up), it never loses it.
    redis.publish(channel, JSON.stringify(batch)).catch((error: unknown) => logger.warn({ err: error, answers: batch.length }, "could not announce purchase answers"));
  }
  return {
    announce(announcement: OutcomeAnnouncement): void {
      if (pending.length === 0) setImmediate(flush);
      pending.push(announcement);
    },
  };
}
export type OutcomeAnnouncer = ReturnType<typeof createOutcomeAnnouncer>;

/** How many recent answers a server keeps, for a repeated `req` that joins a job answered a moment ago. */
const RECENT_ANSWERS = 20_000;

/** The server's side: waits for announced answers by job id. */
export function createOutcomeListener(subscriber: Redis, channel: string) {
  type Waiter = (announcement: OutcomeAnnouncement) => void;
  const waiters = new Map<string, Set<Waiter>>();
  // A repeated req may join a job whose answer was announced just before it
  // started waiting; answers are kept briefly so such a wait ends at once.
  const recent = new Map<string, OutcomeAnnouncement>();

  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    for (const announcement of JSON.parse(message) as OutcomeAnnouncement[]) {
      recent.set(announcement.jobId, announcement);
      const waiting = waiters.get(announcement.jobId);
      if (waiting) {
        waiters.delete(announcement.jobId);
        for (const resolve of waiting) resolve(announcement);
      }
    }
    for (const jobId of recent.keys()) {
      if (recent.size <= RECENT_ANSWERS) break;
      recent.delete(jobId);
    }
  };
  return {
    async start(): Promise<void> {
      subscriber.on("message", onMessage);
      await subscriber.subscribe(channel);
    },
    stop(): void {
      subscriber.off("message", onMessage);
      // Not awaited: during a Redis outage the command would wait for the
      // reconnection, and the connection is closed right after anyway.
      void subscriber.unsubscribe(channel).catch(() => undefined);
    },
    /**
     * Starts waiting for a job's answer: call it before queueing the job, so
     * an answer announced in between is not missed. `cancel` stops waiting.
     */
    waitFor(jobId: string): { answer: Promise<OutcomeAnnouncement>; cancel(): void } {
      const known = recent.get(jobId);
      if (known) return { answer: Promise.resolve(known), cancel: () => undefined };
      let waiter!: Waiter;
      const answer = new Promise<OutcomeAnnouncement>((resolve) => (waiter = resolve));
      const set = waiters.get(jobId) ?? new Set<Waiter>();
      set.add(waiter);
      waiters.set(jobId, set);
      return {
        answer,
        cancel() {
          set.delete(waiter);
          if (set.size === 0 && waiters.get(jobId) === set) waiters.delete(jobId);
        },
      };
    },
  };
}
export type OutcomeListener = ReturnType<typeof createOutcomeListener>;
