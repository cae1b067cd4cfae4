import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Services } from "../composition-root.js";
import type { FirstSaleJob } from "../services/first-sale-service.js";
import { runPartitionMaintenance } from "../services/partition-maintenance.js";

export const QueueName = {
  PURCHASES: "purchases",
  MAINTENANCE: "maintenance",
} as const;

const PARTITION_JOB = "ensure-partitions";
const DAY_MS = 24 * 3600 * 1000;

/**
 * The queues a server process writes to, and the event stream it waits on
 * for a job's answer. QueueEvents reads with blocking commands, so it gets a
 * connection of its own.
 */
export function createJobQueues(config: Config, connection: Redis, eventsConnection: Redis) {
  const prefix = config.queuePrefix;
  const purchases = new Queue(QueueName.PURCHASES, { connection, prefix });
  const maintenance = new Queue(QueueName.MAINTENANCE, { connection, prefix });
  const purchaseEvents = new QueueEvents(QueueName.PURCHASES, { connection: eventsConnection, prefix });
  return {
    purchases,
    maintenance,
    purchaseEvents,
    async close() {
      await purchaseEvents.close();
      await Promise.all([purchases.close(), maintenance.close()]);
      eventsConnection.disconnect();
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

  const purchaseWorker = instrument(
    new Worker(
      QueueName.PURCHASES,
      async (job: Job) => {
        if (job.name === "first-sale") return services.firstSales.execute(job.data as FirstSaleJob);
        throw new Error(`unknown purchase job ${job.name}`);
      },
      { connection, prefix, concurrency: config.workerConcurrency },
    ),
    QueueName.PURCHASES,
  );

  const maintenanceQueue = new Queue(QueueName.MAINTENANCE, { connection, prefix });
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
      await Promise.all([purchaseWorker.close(), maintenanceWorker.close()]);
      await maintenanceQueue.close();
    },
  };
}
export type JobWorkers = ReturnType<typeof startJobWorkers>;
