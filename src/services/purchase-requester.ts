import type { Queue, QueueEvents } from "bullmq";
import { invalidInput, unavailable } from "../errors.js";
import { landExists } from "../domain/world/index.js";
import type { DatabasePool } from "../db/database.js";
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

/**
 * The request side of `buy` and `buy_listing`: queues one purchase job per
 * (user, req) — a repeated message joins the same job instead of queueing
 * twice — and waits for the worker's committed answer. A job re-run after its
 * removal replays the stored answer, so nothing is looked up first.
 */
export function createPurchaseRequester(deps: {
  pool: DatabasePool;
  queue: Queue;
  queueEvents: QueueEvents;
  worldConfig: WorldConfigService;
  timeoutMs: number;
}) {
  async function enqueueAndWait(name: string, data: FirstSaleJob | ListingSaleJob): Promise<StoredOutcome> {
    // The queue's connection waits out a Redis outage; the player should not.
    const queued = await withinTime(
      deps.queue.add(name, data, {
        jobId: requestJobId(data.userId, data.req),
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
    try {
      return (await queued.waitUntilFinished(deps.queueEvents, deps.timeoutMs)) as StoredOutcome;
    } catch (error) {
      // The job may still commit later; its answer is then replayed for the same req.
      const late = await findStoredOutcome(deps.pool, data.userId, data.req).catch(() => undefined);
      if (late) return late;
      throw unavailable(`The purchase could not be confirmed (${(error as Error).message}); send the same req again to learn its outcome.`);
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
