import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Services } from "../composition-root.js";
import type { FirstSaleJob } from "../services/first-sale-service.js";
import { PurchaseJob } from "../services/purchase-requester.js";
import type { ListingSaleJob } from "../services/settlement-service.js";
import { runPartitionMaintenance } from "../services/partition-maintenance.js";
import type { StoredOutcome } from "../services/request-results.js";
import { createOutcomeAnnouncer, purchaseOutcomesChannel } from "./purchase-outcomes.js";

export const QueueName = {
  PURCHASES: "purchases",
  AUCTIONS: "auctions",
  MAINTENANCE: "maintenance",
} as const;

const PARTITION_JOB = "ensure-partitions";
const SWEEP_JOB = "sweep-overdue-auctions";
/** How often the sweeper looks for auctions whose close job was lost or late. */
export const AUCTION_SWEEP_INTERVAL_MS = 5_000;
const DAY_MS = 24 * 3600 * 1000;
/** How long a worker's lock on a purchase job lasts without renewal (renewed every half of it). */
const PURCHASE_LOCK_MS = 10_000;
/** How often workers look for purchase jobs whose worker stopped renewing its lock. */
const PURCHASE_STALLED_CHECK_MS = 5_000;

/** The queues a server process writes to (answers come back on the purchase-outcomes channel). */
export function createJobQueues(config: Config, connection: Redis) {
  const prefix = config.queuePrefix;
  const purchases = new Queue(QueueName.PURCHASES, { connection, prefix });
  const auctions = new Queue(QueueName.AUCTIONS, { connection, prefix });
  const maintenance = new Queue(QueueName.MAINTENANCE, { connection, prefix });
  // Connection errors during a Redis outage are retried by BullMQ; the
  // connections' own listeners log them once (see createRedis).
  for (const queue of [purchases, auctions, maintenance]) {
    queue.on("error", () => undefined);
    // BullMQ listens for "closing" once per job being added; hundreds of players
    // buying at once is normal here, not a leak.
    queue.setMaxListeners(0);
  }
  return {
    purchases,
    auctions,
    maintenance,
    async close() {
      await Promise.all([purchases.close(), auctions.close(), maintenance.close()]);
    },
  };
}
export type JobQueues = ReturnType<typeof createJobQueues>;

/**
 * The BullMQ workers of this process. `close()` waits for jobs in flight to
 * finish, so a SIGTERM never cuts a settlement in half.
 */
export function startJobWorkers(config: Config, services: Services, connection: Redis, logger: Logger) {
  const prefix = config.queuePrefix;
  const { metrics } = services;

  function instrument(worker: Worker, queue: string) {
    worker.on("completed", () => metrics.jobs.labels(queue, "completed").inc());
    worker.on("failed", (job, error) => {
      metrics.jobs.labels(queue, "failed").inc();
      logger.error({ err: error, queue, job: job?.id, attempts: job?.attemptsMade }, "job failed");
    });
    worker.on("error", (error) => logger.warn({ err: error, queue }, "worker error"));
    return worker;
  }

  // Each answer is announced as soon as it is committed, before BullMQ marks the job completed.
  const outcomes = createOutcomeAnnouncer(services.redis, purchaseOutcomesChannel(prefix), logger);
  async function purchase(job: Job): Promise<StoredOutcome> {
    if (job.name === PurchaseJob.FIRST_SALE) return services.firstSales.execute(job.data as FirstSaleJob);
    if (job.name === PurchaseJob.LISTING_SALE) return services.settlements.buyListing(job.data as ListingSaleJob);
    throw new Error(`unknown purchase job ${job.name}`);
  }
  const purchaseWorker = instrument(
    new Worker(
      QueueName.PURCHASES,
      async (job: Job) => {
        const outcome = await purchase(job);
        outcomes.announce({ jobId: job.id!, outcome });
        return outcome;
      },
      {
        connection,
        prefix,
        concurrency: config.workerConcurrency,
        // A purchase takes milliseconds and replays its stored answer when run
        // twice, so a dead worker's jobs can be taken over quickly: players are
        // waiting for them (BullMQ's defaults leave them for up to a minute).
        lockDuration: PURCHASE_LOCK_MS,
        stalledInterval: PURCHASE_STALLED_CHECK_MS,
      },
    ),
    QueueName.PURCHASES,
  );
  purchaseWorker.on("failed", (job, error) => {
    // The last attempt failed: the room waiting for it answers UNAVAILABLE now instead of at its timeout.
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) outcomes.announce({ jobId: job.id!, failed: error.message });
  });

  const auctionWorker = instrument(
    new Worker(
      QueueName.AUCTIONS,
      async (job: Job) => {
        if (job.name === "close") return services.settlements.closeAuction((job.data as { listingId: string }).listingId);
        if (job.name === SWEEP_JOB) {
          // A lost or late close job cannot leave an auction open.
          const overdue = await services.settlements.overdueAuctions();
          for (const listingId of overdue) await services.settlements.closeAuction(listingId);
          return { closed: overdue.length };
        }
        throw new Error(`unknown auction job ${job.name}`);
      },
      { connection, prefix, concurrency: 4 },
    ),
    QueueName.AUCTIONS,
  );
  const auctionsQueue = new Queue(QueueName.AUCTIONS, { connection, prefix });
  auctionsQueue.on("error", () => undefined); // outages are logged once by the connection
  const scheduleSweeper = () =>
    void auctionsQueue
      .upsertJobScheduler(SWEEP_JOB, { every: AUCTION_SWEEP_INTERVAL_MS }, { name: SWEEP_JOB, opts: { removeOnComplete: 100, removeOnFail: 100 } })
      .catch((error: unknown) => logger.error({ err: error }, "could not schedule the auction sweeper"));
  scheduleSweeper();
  // A Redis that comes back empty (no AOF, a failover to an empty replica)
  // has lost the scheduler: put it back on every reconnection (an upsert is
  // idempotent), or no auction would close until a worker restarted.
  connection.on("ready", scheduleSweeper);
  // Start-up reconciliation: close what ended while no worker ran, relay what a crash left in the outbox.
  void services.settlements
    .overdueAuctions()
    .then(async (overdue) => {
      for (const listingId of overdue) await services.settlements.closeAuction(listingId);
    })
    .catch((error: unknown) => logger.error({ err: error }, "start-up auction reconciliation failed"));
  services.outbox.start();

  const maintenanceQueue = new Queue(QueueName.MAINTENANCE, { connection, prefix });
  maintenanceQueue.on("error", () => undefined);
  // Create next months' partitions ahead of time: at start-up and then daily.
  void maintenanceQueue
    .upsertJobScheduler(PARTITION_JOB, { every: DAY_MS }, { name: PARTITION_JOB })
    .catch((error: unknown) => logger.error({ err: error }, "could not schedule partition maintenance"));
  const maintenanceWorker = instrument(
    new Worker(
      QueueName.MAINTENANCE,
      async (job: Job) => {
        if (job.name === PARTITION_JOB) return runPartitionMaintenance(services.pool, metrics, logger);
        throw new Error(`unknown maintenance job ${job.name}`);
      },
      { connection, prefix, concurrency: 1 },
    ),
    QueueName.MAINTENANCE,
  );

  return {
    async close() {
      connection.off("ready", scheduleSweeper);
      services.outbox.stop();
      await Promise.all([purchaseWorker.close(), auctionWorker.close(), maintenanceWorker.close()]);
      await Promise.all([maintenanceQueue.close(), auctionsQueue.close()]);
    },
  };
}
export type JobWorkers = ReturnType<typeof startJobWorkers>;
