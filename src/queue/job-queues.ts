import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Services } from "../composition-root.js";
import { runPartitionMaintenance } from "../services/partition-maintenance.js";

export const QueueName = {
  MAINTENANCE: "maintenance",
} as const;

const PARTITION_JOB = "ensure-partitions";
const DAY_MS = 24 * 3600 * 1000;

/** The queues a server process writes to. */
export function createJobQueues(config: Config, connection: Redis) {
  const maintenance = new Queue(QueueName.MAINTENANCE, { connection, prefix: config.queuePrefix });
  return {
    maintenance,
    async close() {
      await maintenance.close();
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
  const maintenanceQueue = new Queue(QueueName.MAINTENANCE, { connection, prefix });
  // Create next months' partitions ahead of time, daily and once at start-up.
  void maintenanceQueue
    .upsertJobScheduler(PARTITION_JOB, { every: DAY_MS }, { name: PARTITION_JOB })
    .catch((error: unknown) => logger.error({ err: error }, "could not schedule partition maintenance"));

  const maintenanceWorker = new Worker(
    QueueName.MAINTENANCE,
    async (job: Job) => {
      if (job.name === PARTITION_JOB) return runPartitionMaintenance(services.pool, services.metrics, logger);
      throw new Error(`unknown maintenance job ${job.name}`);
    },
    { connection, prefix, concurrency: 1 },
  );
  maintenanceWorker.on("completed", () => services.metrics.jobs.labels(QueueName.MAINTENANCE, "completed").inc());
  maintenanceWorker.on("failed", (job, error) => {
    services.metrics.jobs.labels(QueueName.MAINTENANCE, "failed").inc();
    logger.error({ err: error, job: job?.name }, "maintenance job failed");
  });
  maintenanceWorker.on("error", (error) => logger.warn({ err: error }, "maintenance worker error"));

  return {
    async close() {
      await maintenanceWorker.close();
      await maintenanceQueue.close();
    },
  };
}
export type JobWorkers = ReturnType<typeof startJobWorkers>;
