/**
 * Shared plumbing of the benchmarks: a server started as its own process (as
 * an operator runs it) on a fresh database, players made through the public
 * routes, percentiles, and reading counters from `/metrics`.
 */
import pg from "pg";
import { dropDatabase, testEnvironment, type TestEnvironment } from "../test/helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "../test/helpers/processes.js";
import { apiClient, registerUser, type ApiClient } from "../test/helpers/http-client.js";
import { fund } from "../test/helpers/accounts.js";

export interface BenchServer {
  baseUrl: string;
  wsUrl: string;
  api: ApiClient;
  environment: TestEnvironment;
  db: pg.Pool;
  process: Spawned;
  adminToken: string;
  stop(): Promise<void>;
}

export async function startBenchServer(overrides: Record<string, string> = {}): Promise<BenchServer> {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  const port = await freePort();
  // Benchmarks measure the engine, not the per-player rate limits (a hot auction's bidders exceed them on purpose).
  const environment = testEnvironment({
    PORT: String(port),
    LOG_LEVEL: "warn",
    CHUNK_RATE_LIMIT_PER_SECOND: "1000000",
    CHUNK_RATE_LIMIT_BURST: "1000000",
    CHAT_RATE_LIMIT_PER_SECOND: "1000000",
    CHAT_RATE_LIMIT_BURST: "1000000",
    ...overrides,
  });
  const run = spawnEntry("src/main.ts", environment.env);
  await waitForHttpOk(`http://127.0.0.1:${port}/health`, 30_000);
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = apiClient(baseUrl);
  const db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  const admin = await registerUser(api, "benchadmin");
  await db.query("UPDATE users SET role = 'admin' WHERE user_id = $1", [admin.userId]); // as `npm run admin:create` does
  return {
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    api,
    environment,
    db,
    process: run,
    adminToken: admin.token,
    async stop() {
      run.child.kill("SIGTERM");
      await run.exited;
      await db.end();
      await dropDatabase(environment.databaseName);
    },
  };
}

/** Registers and funds `count` players, a few at a time. */
export async function fundedPlayers(server: BenchServer, count: number, amount: number) {
  const players: Array<{ token: string; userId: string; username: string }> = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, async () => {
        const player = await registerUser(server.api, "bench");
        await fund(server.api, server.adminToken, player.userId, amount);
        return player;
      }),
    );
    players.push(...batch);
  }
  return players;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** The sum of a Prometheus counter's samples whose labels contain `labelFilter`. */
export async function readCounter(baseUrl: string, name: string, labelFilter = ""): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labelFilter && !line.includes(labelFilter)) continue;
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
