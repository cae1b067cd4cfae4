import { afterAll, describe, expect, it } from "vitest";
import { dropDatabase, testEnvironment } from "../helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk } from "../helpers/processes.js";

const created: string[] = [];
afterAll(async () => {
  for (const name of created) await dropDatabase(name);
});

function oneSentence(stderr: string): string {
  const lines = stderr.trim().split("\n").filter((line) => line.trim().length > 0);
  expect(lines, `stderr was:\n${stderr}`).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0]!;
}

describe("npm start", () => {
  it("with PostgreSQL unreachable, prints one sentence naming the database URL and exits non-zero", async () => {
    const url = "postgres://postgres@127.0.0.1:1/vlw_nowhere";
    const run = spawnEntry("src/main.ts", { ...testEnvironment().env, DATABASE_URL: url });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(oneSentence(run.stderr())).toContain(url);
  });

  it("with Redis unreachable, prints one sentence naming the Redis URL and exits non-zero", async () => {
    const environment = testEnvironment({ REDIS_URL: "redis://127.0.0.1:1" });
    created.push(environment.databaseName);
    const run = spawnEntry("src/main.ts", environment.env);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(oneSentence(run.stderr())).toContain("redis://127.0.0.1:1");
  });

  it("with a bad setting, names the variable and exits non-zero", async () => {
    const run = spawnEntry("src/main.ts", { ...testEnvironment().env, PORT: "not-a-port" });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(oneSentence(run.stderr())).toMatch(/PORT/);
  });

  it("with TRANSPORT=uws and the uWebSockets transport not installed, says how to install it and exits non-zero", async () => {
    const run = spawnEntry("src/main.ts", { ...testEnvironment().env, TRANSPORT: "uws" });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(oneSentence(run.stderr())).toMatch(/npm install @colyseus\/uwebsockets-transport/);
  });

  it("in production, refuses secrets left at their development default", async () => {
    const run = spawnEntry("src/main.ts", { ...testEnvironment().env, NODE_ENV: "production" });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(oneSentence(run.stderr())).toMatch(/JWT_SECRET and PASSCODE_PEPPER/);
  });

  it("creates its database, migrates, answers /health within 15 s, and on SIGTERM exits 0 within 10 s", async () => {
    const port = await freePort();
    const environment = testEnvironment({ PORT: String(port), LOG_LEVEL: "info" });
    created.push(environment.databaseName);
    const run = spawnEntry("src/main.ts", environment.env);
    try {
      await waitForHttpOk(`http://127.0.0.1:${port}/health`, 15_000);
      const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
      expect(health).toEqual({ status: "ok", postgres: "ok", redis: "ok" });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain("vlw_process_cpu_user_seconds_total");
      expect(metrics).toContain("vlw_http_request_duration_seconds_bucket");
      expect(metrics).toMatch(/vlw_queue_jobs\{queue="purchases",state="completed"\} \d+/);
      const stopAsked = Date.now();
      run.child.kill("SIGTERM");
      const { code } = await run.exited;
      expect(code).toBe(0);
      expect(Date.now() - stopAsked).toBeLessThan(10_000);
      expect(run.stdout()).toContain('"msg":"stopped"');
    } finally {
      run.child.kill("SIGKILL");
    }
  });
});
