// The tests share the machine's Redis, which keeps every key until it
// restarts: a test server that stops must leave nothing of its own behind.
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer } from "../helpers/test-server.js";

const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
afterAll(() => redis.disconnect());

const keysUnder = async (prefix: string) => {
  const found: string[] = [];
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 })) found.push(...(keys as string[]));
  return found;
};

describe("a stopped test server", () => {
  it("removes its database and every Redis key under its prefix", async () => {
    const server = await startTestServer();
    const { queuePrefix, databaseName } = server.environment;
    expect((await keysUnder(queuePrefix)).length).toBeGreaterThan(0); // queues and schedulers exist while it runs
    await server.stop();
    expect(await keysUnder(queuePrefix)).toEqual([]);
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" });
    await admin.connect();
    const { rows } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName]);
    await admin.end();
    expect(rows).toEqual([]);
  });
});
