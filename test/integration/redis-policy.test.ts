import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropDatabase, testEnvironment } from "../helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk } from "../helpers/processes.js";

// A Redis of this test's own that may evict keys, which BullMQ cannot live with.
let redisPort: number;
let redis: ReturnType<typeof spawn>;
const created: string[] = [];

beforeAll(async () => {
  redisPort = await freePort();
  redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--maxmemory-policy", "allkeys-lru"], {
    stdio: "ignore",
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
});
afterAll(async () => {
  redis?.kill("SIGKILL");
  for (const name of created) await dropDatabase(name);
});

describe("a Redis that may evict keys", () => {
  it("is refused in production with a sentence saying why", async () => {
    const environment = testEnvironment({
      NODE_ENV: "production",
      JWT_SECRET: "a-production-secret-that-is-long-enough-0001",
      PASSCODE_PEPPER: "another-production-secret-long-enough-0002",
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    created.push(environment.databaseName);
    const run = spawnEntry("src/main.ts", environment.env);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr()).toMatch(/maxmemory-policy is "allkeys-lru".*noeviction.*refusing to start in production/);
  });

  it("only warns in development, and the server starts", async () => {
    const port = await freePort();
    const environment = testEnvironment({ PORT: String(port), LOG_LEVEL: "warn", REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    created.push(environment.databaseName);
    const run = spawnEntry("src/main.ts", environment.env);
    try {
      await waitForHttpOk(`http://127.0.0.1:${port}/health`, 20_000);
      expect(run.stdout()).toMatch(/maxmemory-policy is \\"allkeys-lru\\"/);
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
  });
});
