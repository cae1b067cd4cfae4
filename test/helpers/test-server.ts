import { randomBytes } from "node:crypto";
import pg from "pg";
import { Redis } from "ioredis";
import type { DestinationStream } from "pino";
import { loadConfig, type Config } from "../../src/config.js";
import { startServer, type RunningServer } from "../../src/composition-root.js";
import { createLogger } from "../../src/logger.js";

const BASE_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestEnvironment {
  databaseName: string;
  databaseUrl: string;
  queuePrefix: string;
  env: Record<string, string>;
  config: Config;
}

/** A fresh database name and queue prefix for one test file; settings as the server reads them. */
export function testEnvironment(overrides: Record<string, string> = {}): TestEnvironment {
  const id = randomBytes(5).toString("hex");
  const databaseName = `vlw_test_${id}`;
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${databaseName}`;
  const env = {
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: url.toString(),
    REDIS_URL,
    QUEUE_PREFIX: `vlwt_${id}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ARGON2_MEMORY_KIB: "8192",
    // Tests register many players from one address.
    REGISTER_RATE_LIMIT_PER_HOUR: "100000",
    ...overrides,
  };
  return { databaseName, databaseUrl: url.toString(), queuePrefix: env.QUEUE_PREFIX, env, config: loadConfig(env) };
}

/** How long a drop waits for the database's connections to finish closing before it forces them. */
const DROP_GRACE_MS = 3_000;

export async function dropDatabase(databaseName: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_DATABASE_URL });
  await client.connect();
  try {
    // A pool's end() resolves before its connections have closed. Forcing one
    // that is still closing makes its client emit the termination as an error
    // nobody listens to any more (an uncaught exception in the test run), so
    // the drop first waits for them to go by themselves.
    const deadline = Date.now() + DROP_GRACE_MS;
    while (Date.now() < deadline) {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [databaseName]);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Drops a test environment's database and every Redis key under its prefix
 * (queues, presence, rate limits, caches): Redis is shared by every test run
 * on the machine and keeps what is not removed until it restarts.
 */
export async function forgetTestEnvironment(environment: TestEnvironment): Promise<void> {
  await dropDatabase(environment.databaseName);
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${environment.queuePrefix}*`, count: 1000 })) {
      if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}

export interface TestServer {
  baseUrl: string;
  wsUrl: string;
  port: number;
  environment: TestEnvironment;
  server: RunningServer;
  db: pg.Pool;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Where the server's log lines go instead of stdout (set LOG_LEVEL in the overrides to see them). */
  logDestination?: DestinationStream;
}

/** A real server (HTTP, WebSocket, workers) on a random port, with its own database that `stop` drops. */
export async function startTestServer(overrides: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  const environment = testEnvironment(overrides);
  const logger = createLogger(environment.config.logLevel, "vlw-test", options.logDestination);
  const server = await startServer(environment.config, logger);
  const db = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  return {
    baseUrl,
    wsUrl: `ws://127.0.0.1:${server.port}`,
    port: server.port,
    environment,
    server,
    db,
    async stop() {
      await db.end();
      await server.stop();
      await forgetTestEnvironment(environment);
    },
  };
}
