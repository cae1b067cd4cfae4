import { Job, type Queue } from "bullmq";
import { invalidInput, unavailable } from "../errors.js";
import { landExists } from "../domain/world/index.js";
import type { DatabasePool } from "../db/database.js";
import type { OutcomeAnnouncement, OutcomeListener } from "../queue/purchase-outcomes.js";
import type { FirstSaleJob } from "./first-sale-service.js";
import type { ListingSaleJob } from "./settlement-service.js";
import { findStoredOutcome, type StoredOutcome } from "./request-results.js";
import { withinTime } from "./time-limit.js";
import type { WorldConfigService } from "./world-config-service.js";

export const PurchaseJob = {
  FIRST_SALE: "first-sale",
  LISTING_SALE: "listing-sale",
} as const;

/**
 * One job per (user, req): BullMQ ids may not contain `:`, so the req is
 * encoded. The same id for every action, as a req is acted on once whatever
 * it was sent with.
 */
export function requestJobId(userId: string, req: string): string {
  return `req-${userId}-${Buffer.from(req).toString("base64url")}`;
}

/** How long an answer may be late before the server looks the job up itself, and how often after that. */
const LATE_ANSWER_CHECK_MS = 1_000;

/**
 * The request side of `buy` and `buy_listing`: queues one purchase job per
 * (user, req) — a repeated message joins the same job instead of queueing
 * twice — and waits for the worker's committed answer, announced on the
 * purchase-outcomes channel. A job re-run after its removal replays the
 * stored answer, so nothing is looked up first.
 *
 * An announcement can be missed (it is pub/sub), and a repeated req may join
 * a job answered long ago, which announces nothing. So an answer that is
 * late by a second is looked up: the job's return value in Redis, else the
 * stored answer in PostgreSQL.
 */
export function createPurchaseRequester(deps: {
  pool: DatabasePool;
  queue: Queue;
  outcomes: OutcomeListener;
  worldConfig: WorldConfigService;
  timeoutMs: number;
}) {
  /** The job's answer if it has one by now: its return value, or the answer stored with its change. */
  async function lookUp(jobId: string, data: FirstSaleJob | ListingSaleJob): Promise<StoredOutcome | undefined> {
    const job = await Job.fromId(deps.queue, jobId);
    if (job?.finishedOn && job.returnvalue) return job.returnvalue as StoredOutcome;
    // A job that failed for good is removed; one that committed may be gone from Redis.
    return job ? undefined : findStoredOutcome(deps.pool, data.userId, data.req);
  }

  async function answerOf(jobId: string, data: FirstSaleJob | ListingSaleJob, announced: Promise<OutcomeAnnouncement>): Promise<StoredOutcome> {
    const deadline = Date.now() + deps.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        const wait = Math.min(LATE_ANSWER_CHECK_MS, deadline - Date.now());
        const late = new Promise<"late">((resolve) => (timer = setTimeout(resolve, Math.max(0, wait), "late")));
        const first = await Promise.race([announced, late]);
        clearTimeout(timer);
        if (first !== "late") {
          if ("outcome" in first) return first.outcome;
          throw new Error(first.failed);
        }
        const found = await lookUp(jobId, data).catch(() => undefined);
        if (found) return found;
        if (Date.now() >= deadline) throw new Error(`no answer within ${deps.timeoutMs} ms`);
      }
    } catch (error) {
      // The job may still commit later; its answer is then replayed for the same req.
      const stored = await findStoredOutcome(deps.pool, data.userId, data.req).catch(() => undefined);
      if (stored) return stored;
      throw unavailable(`The purchase could not be confirmed (${(error as Error).message}); send the same req again to learn its outcome.`);
    } finally {
      clearTimeout(timer);
    }
  }

  async function enqueueAndWait(name: string, data: FirstSaleJob | ListingSaleJob): Promise<StoredOutcome> {
    const jobId = requestJobId(data.userId, data.req);
    // Listen before queueing, so an answer announced in between is not missed.
    const waiting = deps.outcomes.waitFor(jobId);
    try {
      // The queue's connection waits out a Redis outage; the player should not.
      await withinTime(
        deps.queue.add(name, data, {
          jobId,
          attempts: 5,
          backoff: { type: "exponential", delay: 200 },
          removeOnComplete: { age: 3600, count: 50_000 },
          // A failed job is removed, so the same req sent again queues afresh
          // (it would otherwise join the failed job and fail for as long as it is kept).
          removeOnFail: true,
        }),
        deps.timeoutMs,
        "The purchase could not be queued; send the same req again.",
      );
      return await answerOf(jobId, data, waiting.answer);
    } finally {
      waiting.cancel();
    }
  }

  return {
    /** @throws AppError INVALID_INPUT outside the world; UNAVAILABLE when the queue or worker does not answer in time. */
    async buy(job: FirstSaleJob): Promise<StoredOutcome> {
      const { world } = await deps.worldConfig.current();
      if (!landExists(world, job.x, job.y)) throw invalidInput(`(${job.x}, ${job.y}) is outside the world.`);
      return enqueueAndWait(PurchaseJob.FIRST_SALE, job);
    },
    /** @throws AppError UNAVAILABLE when the queue or worker does not answer in time. */
    buyListing(job: ListingSaleJob): Promise<StoredOutcome> {
      return enqueueAndWait(PurchaseJob.LISTING_SALE, job);
    },
  };
}
export type PurchaseRequester = ReturnType<typeof createPurchaseRequester>;
