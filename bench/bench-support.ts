/**
 * Shared plumbing of the benchmarks: a server started as its own process (as
 * an operator runs it) on a fresh database, players made through the public
 * routes, percentiles, reading counters from `/metrics`, the bare `ws`
 * baseline server, and the CPU time and memory of a spawned process.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { WebSocket as InspectorSocket } from "ws";
import { forgetTestEnvironment, testEnvironment, type TestEnvironment } from "../test/helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "../test/helpers/processes.js";
import { apiClient, registerUser, type ApiClient } from "../test/helpers/http-client.js";
import { fund } from "../test/helpers/accounts.js";
import { resultCollector, sdkClient } from "../test/helpers/room-client.js";

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
    // `BENCH_SERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=prof"` profiles the server process.
    ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
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
      await forgetTestEnvironment(environment);
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

/** Where the server keeps Colyseus' presence and room listings in Redis (as `colyseusKeyPrefix` in src/composition-root.ts). */
export const colyseusKeyPrefix = (server: BenchServer) => `${server.environment.queuePrefix}:cy:`;

/** `bench/bare-ws-server.ts` started as its own process; `inspect` lets {@link attachInspector} read its memory. */
export async function spawnBareWsServer(opts: { inspect?: boolean } = {}) {
  const child = spawnEntry("bench/bare-ws-server.ts", { NODE_ENV: "production", ...(opts.inspect ? { NODE_OPTIONS: INSPECT } : {}) });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const line = child.stdout().split("\n").find((text) => text.startsWith("{"));
      if (line) {
        clearInterval(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    }, 50);
    void child.exited.then(() => {
      clearInterval(timer);
      reject(new Error(`the bare server exited: ${child.stderr()}`));
    });
  });
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    process: child,
    async stop() {
      child.child.kill("SIGTERM");
      await child.exited;
    },
  };
}

/** NODE_OPTIONS for a process whose memory a benchmark reads through the inspector (any free port). */
export const INSPECT = "--inspect=127.0.0.1:0";

/** The memory of another process, read the same way for every target: after a full garbage collection. */
export interface ProcessInspector {
  /** Collects garbage (twice, so objects freed by finalizers go too), then reads `process.memoryUsage()`. */
  memoryAfterGc(): Promise<NodeJS.MemoryUsage>;
  close(): void;
}

/**
 * Connects to the inspector of a process started with {@link INSPECT} (the
 * address it prints on stderr) over the DevTools protocol.
 */
export async function attachInspector(spawned: Spawned, timeoutMs = 30_000): Promise<ProcessInspector> {
  const started = Date.now();
  let address: string | undefined;
  while (!(address = /Debugger listening on (ws:\/\/\S+)/.exec(spawned.stderr())?.[1])) {
    if (Date.now() - started > timeoutMs) throw new Error(`no inspector address on stderr: ${spawned.stderr().slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const socket = new InspectorSocket(address);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on("message", (data: Buffer) => {
    const reply = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (reply.id !== undefined) pending.get(reply.id)?.(reply.result);
    pending.delete(reply.id ?? -1);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    async memoryAfterGc() {
      await call("HeapProfiler.collectGarbage");
      await new Promise((resolve) => setTimeout(resolve, 200));
      await call("HeapProfiler.collectGarbage");
      const result = (await call("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true })) as {
        result: { value: string };
      };
      return JSON.parse(result.result.value) as NodeJS.MemoryUsage;
    },
    close() {
      socket.close();
    },
  };
}

let clockTicksPerSecond: number | undefined;

/** CPU time a process has used so far (all its threads), in seconds, from /proc (Linux only). */
export async function processCpuTimes(pid: number): Promise<{ user: number; system: number }> {
  clockTicksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / clockTicksPerSecond, system: Number(fields[12]) / clockTicksPerSecond };
}

/** User + system CPU time a process has used so far, in seconds. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { user, system } = await processCpuTimes(pid);
  return user + system;
}

/** Runs `task` over the items with at most `concurrency` at a time, in order of the items. */
export async function inBatches<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}

/**
 * A realistic overlay: `owners` funded players buy `landsPerChunk` lands in
 * each chunk (through the chunk room's `buy`, as players do) and sign every
 * other one (`set_message`). Returns the owners.
 */
export async function ownLands(server: BenchServer, chunks: ReadonlyArray<{ cx: number; cy: number }>, landsPerChunk: number, owners = 4) {
  const players = await fundedPlayers(server, owners, 100_000_000);
  await Promise.all(
    players.map(async (owner, ownerIndex) => {
      for (const [chunkIndex, { cx, cy }] of chunks.entries()) {
        const room = await sdkClient(server.wsUrl, owner.token).joinOrCreate("chunk", { cx, cy });
        room.onMessage("event", () => undefined);
        const results = resultCollector(room);
        await Promise.all(
          Array.from({ length: landsPerChunk }, async (_, i) => {
            if (i % owners !== ownerIndex) return;
            // A diagonal-ish spread over the chunk's 32 × 32 lands.
            const x = cx * 32 + ((i * 7) % 32);
            const y = cy * 32 + ((i * 13 + chunkIndex) % 32);
            const bought = await results.send("buy", { req: `own-${cx}-${cy}-${i}`, x, y }, 30_000);
            if (!bought.ok) throw new Error(`could not buy (${x}, ${y}): ${JSON.stringify(bought)}`);
            if (i % 2 === 0) await results.send("set_message", { req: `sign-${cx}-${cy}-${i}`, x, y, text: `Land ${x},${y} of ${owner.username}` });
          }),
        );
        await room.leave();
      }
    }),
  );
  return players;
}
