import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics of one process. Rooms and workers update them; `GET
 * /metrics` serves them. Job counts are read from the queues at scrape time.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "vlw_" });

  const metrics = {
    registry,
    httpDuration: new Histogram({
      name: "vlw_http_request_duration_seconds",
      help: "HTTP request latency by route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rooms: new Gauge({
      name: "vlw_rooms",
      help: "Rooms alive in this process by room name",
      labelNames: ["room"] as const,
      registers: [registry],
    }),
    clients: new Gauge({
      name: "vlw_clients",
      help: "Clients connected to rooms of this process by room name",
      labelNames: ["room"] as const,
      registers: [registry],
    }),
    roomMessages: new Counter({
      name: "vlw_room_messages_total",
      help: "Room messages received, by room, type and outcome code",
      labelNames: ["room", "type", "outcome"] as const,
      registers: [registry],
    }),
    actionDuration: new Histogram({
      name: "vlw_action_duration_seconds",
      help: "Room action latency from receipt to result",
      labelNames: ["type"] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    jobs: new Counter({
      name: "vlw_jobs_processed_total",
      help: "BullMQ jobs processed by this process, by queue and outcome",
      labelNames: ["queue", "outcome"] as const,
      registers: [registry],
    }),
    serializationRetries: new Counter({
      name: "vlw_db_serialization_retries_total",
      help: "SERIALIZABLE transactions retried after 40001/40P01",
      labelNames: ["operation"] as const,
      registers: [registry],
    }),
    defaultPartitionRows: new Gauge({
      name: "vlw_default_partition_rows",
      help: "Rows that landed in a DEFAULT partition (should be 0)",
      labelNames: ["table"] as const,
      registers: [registry],
    }),
    /** Reads each queue's job counts whenever /metrics is scraped. */
    trackQueues(queues: ReadonlyArray<{ name: string; getJobCounts(): Promise<Record<string, number>> }>) {
      new Gauge({
        name: "vlw_queue_jobs",
        help: "Jobs in each BullMQ queue by state (read at scrape time)",
        labelNames: ["queue", "state"] as const,
        registers: [registry],
        async collect() {
          await Promise.all(
            queues.map(async (queue) => {
              const counts = await queue.getJobCounts().catch(() => ({}) as Record<string, number>);
              for (const [state, count] of Object.entries(counts)) this.labels(queue.name, state).set(count);
            }),
          );
        },
      });
    },
    chatPersistBacklog: new Gauge({
      name: "vlw_chat_persist_backlog",
      help: "Chat messages accepted but not yet committed to PostgreSQL in this process",
      registers: [registry],
    }),
    chatBatchRows: new Histogram({
      name: "vlw_chat_batch_rows",
      help: "Chat messages written per multi-row INSERT",
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers: [registry],
    }),
  };
  return metrics;
}
export type Metrics = ReturnType<typeof createMetrics>;
