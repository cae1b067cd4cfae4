import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { QueueName } from "../../src/queue/job-queues.js";

let server: TestServer;
let connection: Redis;
let queue: Queue;
let events: QueueEvents;

beforeAll(async () => {
  server = await startTestServer();
  const options = { maxRetriesPerRequest: null, enableAutoPipelining: false };
  connection = new Redis(server.environment.config.redisUrl, options);
  queue = new Queue(QueueName.MAINTENANCE, { connection, prefix: server.environment.queuePrefix });
  events = new QueueEvents(QueueName.MAINTENANCE, {
    connection: new Redis(server.environment.config.redisUrl, options),
    prefix: server.environment.queuePrefix,
  });
  await events.waitUntilReady();
});
afterAll(async () => {
  await events?.close();
  await queue?.close();
  connection?.disconnect();
  await server?.stop();
});

/** `YYYY_MM` of the month `ahead` months after this one, in UTC. */
function monthSuffix(ahead: number): string {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + ahead, 1));
  return `${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

async function exists(table: string): Promise<boolean> {
  return (await server.db.query("SELECT to_regclass($1) IS NOT NULL AS present", [table])).rows[0].present;
}

describe("the partition maintenance job", () => {
  it("creates the coming months' partitions of messages and audit_logs and reports DEFAULT-partition rows in vlw_default_partition_rows", async () => {
    const missing = monthSuffix(3);
    for (const table of ["messages", "audit_logs"]) {
      await server.db.query(`DROP TABLE IF EXISTS ${table}_${missing}`);
      expect(await exists(`${table}_${missing}`)).toBe(false);
    }
    // A row dated beyond every prepared month falls into the DEFAULT partition.
    await server.db.query(
      "INSERT INTO audit_logs (event_type, event_category, action, created_at) VALUES ('probe', 'system', 'probe', '2099-06-01')",
    );

    const job = await queue.add("ensure-partitions", {});
    const report = (await job.waitUntilFinished(events, 20_000)) as Record<string, { created: number; defaultRows: number }>;
    expect(report.messages!.created).toBeGreaterThanOrEqual(1);
    expect(report.audit_logs!.created).toBeGreaterThanOrEqual(1);
    expect(report.audit_logs!.defaultRows).toBe(1);
    expect(report.messages!.defaultRows).toBe(0);
    for (const table of ["messages", "audit_logs"]) expect(await exists(`${table}_${missing}`)).toBe(true);
    expect(await exists(`messages_${monthSuffix(12)}`)).toBe(true);

    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^vlw_default_partition_rows\{table="audit_logs"\} 1$/m);
    expect(metrics).toMatch(/^vlw_default_partition_rows\{table="messages"\} 0$/m);

    const [year, month] = missing.split("_");
    const placed = await server.db.query(
      "INSERT INTO audit_logs (event_type, event_category, action, created_at) VALUES ('probe', 'system', 'probe', $1) RETURNING tableoid::regclass::text AS partition",
      [`${year}-${month}-15T12:00:00Z`],
    );
    expect(placed.rows[0].partition).toBe(`audit_logs_${missing}`);
  });
});
