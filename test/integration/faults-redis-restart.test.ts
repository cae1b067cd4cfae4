import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { forgetTestEnvironment, testEnvironment, type TestEnvironment } from "../helpers/test-server.js";
import { freePort, type Spawned } from "../helpers/processes.js";
import { registerUser, type ApiClient } from "../helpers/http-client.js";
import { startSpawnedServer } from "../helpers/spawned-server.js";
import { fund } from "../helpers/accounts.js";
import { eventually, leaveAll, resultCollector, sdkClient } from "../helpers/room-client.js";
import { sendUntilAnswered, type ResentRequest } from "../helpers/resending-sender.js";
import { expectLedgerBalanced } from "../helpers/ledger.js";

// Issue #7: Redis restarted under load. The shared Redis keeps nothing on
// disk, so this test runs its own on a spare port, with an append-only file
// fsynced before every reply (`appendfsync always`): whatever Redis
// acknowledged (a queued purchase job, a matchmaking entry) is on disk.
// It is stopped with SIGKILL, a crash that gives Redis no chance to flush
// anything, rather than `SHUTDOWN`, which writes everything out first and so
// would prove less: with `appendfsync always` even a crash keeps every
// acknowledged write, and the server must cope with the rest (connections cut,
// pub/sub subscriptions gone, commands in flight).
const PLAYERS = 8;
/** Purchases each player keeps in flight. */
const LANES_PER_PLAYER = 3;
/**
 * How long Redis stays down: longer than the server's wait for a purchase
 * job's answer (10 s) and than ioredis' reconnect attempts for one command
 * (about 30 s), so requests met during the outage are answered (UNAVAILABLE,
 * sent again by the client), not only delayed.
 */
const OUTAGE_MS = 45_000;
let redisPort: number;
let redisDir: string;
let redis: ChildProcess | undefined;
let environment: TestEnvironment;
let server: Spawned | undefined;
let db: pg.Pool;
let api: ApiClient;
let baseUrl: string;
let wsUrl: string;
let adminToken: string;
const rooms: Room[] = [];
let tearingDown = false;

function startRedis(): ChildProcess {
  const child = spawn(
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
    { stdio: "ignore" },
  );
  return child;
}
const redisAnswers = () => spawnSync("redis-cli", ["-p", String(redisPort), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG";
async function killRedis(): Promise<void> {
  const child = redis;
  redis = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

beforeAll(async () => {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  redisPort = await freePort();
  redisDir = mkdtempSync(path.join(os.tmpdir(), "vlw-redis-aof-"));
  redis = startRedis();
  await eventually(redisAnswers, 10_000, 50);
  environment = testEnvironment({
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    // Players buy as fast as answers come; the per-player limits are not under test.
    CHUNK_RATE_LIMIT_PER_SECOND: "100000",
    CHUNK_RATE_LIMIT_BURST: "100000",
    LOG_LEVEL: "warn",
  });
  const spawned = await startSpawnedServer(environment); // workers in-process
  server = spawned.process;
  ({ baseUrl, wsUrl, api, db, adminToken } = spawned);
}, 60_000);

afterAll(async () => {
  tearingDown = true;
  await leaveAll(rooms);
  server?.child.kill("SIGKILL");
  await server?.exited;
  await killRedis();
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  await db?.end();
  if (environment) await forgetTestEnvironment(environment);
});

/** A funded player in chunk (0, 0) that rejoins if its connection is closed, recording the lands its room shows. */
async function player() {
  const user = await registerUser(api);
  await fund(api, adminToken, user.userId, 1_000_000);
  const joined = { room: undefined as unknown as Room, results: undefined as unknown as ReturnType<typeof resultCollector>, rejoins: 0 };
  const join = async () => {
    const room = await sdkClient(wsUrl, user.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
    rooms.push(room);
    room.onMessage("event", () => undefined); // not under test here
    joined.room = room;
    joined.results = resultCollector(room);
    room.onLeave(() => {
      if (tearingDown) return;
      joined.rejoins++;
      void eventually(() => join().then(() => true, () => false), 60_000, 500);
    });
  };
  await join();
  const shows = (x: number, y: number) => ((joined.room.state as any)?.lands as Map<string, any> | undefined)?.get(`${x},${y}`);
  return { ...user, joined, shows };
}

describe("Redis restarted during load", () => {
  it("the server reconnects, rooms keep working, and no action acknowledged before, during or after the restart is lost", async () => {
    const health = async () => (await fetch(`${baseUrl}/health`)).status;
    const players = await Promise.all(Array.from({ length: PLAYERS }, player));

    // An auction that ends around the outage: its close job is queued in Redis before the crash.
    const [seller, bidder] = players;
    expect(await seller!.joined.results.send("buy", { req: "auction-land", x: 0, y: 30 }, 20_000)).toMatchObject({ ok: true });
    const listed = await seller!.joined.results.send("list", { req: "auction", x: 0, y: 30, type: "auction", price_bdt: 100, duration_s: 10, auto_extend: false }, 20_000);
    const auctionId = (listed as { data: { listing_id: string } }).data.listing_id;
    expect(await bidder!.joined.results.send("bid", { req: "bid", listing_id: auctionId, amount_bdt: 700 }, 20_000)).toMatchObject({ ok: true });

    // Each player buys its own row of lands, one purchase after another,
    // sending a req again after UNAVAILABLE or silence.
    let phase: "before" | "during" | "after" = "before";
    let stop = false;
    const acknowledged: Array<{ request: ResentRequest; userId: string; phase: string }> = [];
    const answered: ResentRequest[] = [];
    const load = players.map(async (p, row) => {
      let next = 0;
      const lane = async () => {
        while (!stop && next < 32 * 3) {
          const i = next++;
          const x = i % 32;
          const y = row * 3 + Math.floor(i / 32);
          const request = await sendUntilAnswered(() => p.joined.results, "buy", { req: `load-${i}`, x, y }, {
            answerTimeoutMs: 15_000,
            retryDelayMs: 500,
            deadline: Date.now() + 100_000,
          });
          answered.push(request);
          if (request.final?.ok) acknowledged.push({ request, userId: p.userId, phase });
        }
      };
      await Promise.all(Array.from({ length: LANES_PER_PLAYER }, lane));
    });

    await eventually(() => acknowledged.length >= 30, 30_000, 20);
    await killRedis();
    phase = "during";
    await eventually(async () => (await health()) === 503, 15_000, 100);
    // Purchases keep arriving while Redis is down: they wait or are answered UNAVAILABLE, and are sent again.
    const acknowledgedBeforeOutage = acknowledged.length;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    redis = startRedis();
    await eventually(async () => (await health()) === 200, 30_000, 200);
    phase = "after";

    // Service resumes: purchases are acknowledged again after the restart.
    await eventually(() => acknowledged.filter((a) => a.phase === "after").length >= 20, 45_000, 50);
    stop = true;
    await Promise.all(load);
    expect(acknowledged.length).toBeGreaterThan(acknowledgedBeforeOutage);

    // Every request got a final answer, and each was ok: every player bought distinct free lands.
    // Those met during the outage were answered UNAVAILABLE (never INTERNAL) and sent again.
    expect(answered.filter((r) => !r.final).map((r) => `${r.payload.req} ${r.attempts.join(">")}`)).toEqual([]);
    expect(answered.filter((r) => !r.final!.ok).map((r) => `${r.payload.req} ${r.attempts.join(">")} ${JSON.stringify(r.final)}`)).toEqual([]);
    expect(answered.some((r) => r.attempts.includes("UNAVAILABLE"))).toBe(true);

    // Rooms keep working: every client is connected (its first connection, or one it made again),
    // and a new action is answered and reaches every client in the room as a patch.
    expect(players.filter((p) => !p.joined.room.connection.isOpen).map((p) => p.username)).toEqual([]);
    const [actor] = players;
    const afterRestart = await actor!.joined.results.send("buy", { req: "after-restart", x: 31, y: 31 }, 20_000);
    expect(afterRestart).toMatchObject({ ok: true });
    await eventually(() => players.every((p) => p.shows(31, 31)?.owner_id === actor!.userId), 15_000, 50);
    // Matchmaking lives in Redis: new connections still join the running chunk
    // room (and see what was bought before the outage) and still create new rooms.
    const latecomer = await sdkClient(wsUrl).joinOrCreate("chunk", { cx: 0, cy: 0 });
    rooms.push(latecomer);
    const firstBought = acknowledged[0]!.request.payload;
    const shownToLatecomer = (x: unknown, y: unknown) => ((latecomer.state as any)?.lands as Map<string, any> | undefined)?.get(`${x},${y}`);
    await eventually(() => shownToLatecomer(firstBought.x, firstBought.y) && shownToLatecomer(31, 31), 10_000, 50);
    const elsewhere = await sdkClient(wsUrl).joinOrCreate("chunk", { cx: 1, cy: 0 });
    rooms.push(elsewhere);
    expect(elsewhere.roomId).toBe("chunk_1_0");

    // The auction's close, scheduled before the crash, still happens: sold once, to its leader.
    await eventually(async () => (await db.query("SELECT status FROM listings WHERE listing_id = $1", [auctionId])).rows[0].status === "sold", 30_000, 200);
    expect((await db.query("SELECT owner_id FROM lands WHERE x = 0 AND y = 30")).rows[0].owner_id).toBe(bidder!.userId);

    // No acknowledged purchase is lost, whenever it was acknowledged.
    const owners = new Map(
      (await db.query<{ x: number; y: number; owner_id: string }>("SELECT x, y, owner_id FROM lands")).rows.map((row) => [`${row.x},${row.y}`, row.owner_id]),
    );
    const stored = new Map(
      (
        await db.query<{ user_id: string; req: string; n: number }>(
          "SELECT request_user_id AS user_id, request_req AS req, count(*)::int AS n FROM transactions WHERE request_req IS NOT NULL GROUP BY 1, 2",
        )
      ).rows.map((row) => [`${row.user_id}/${row.req}`, row.n]),
    );
    const lost = acknowledged.filter(
      ({ request, userId }) =>
        owners.get(`${request.payload.x},${request.payload.y}`) !== userId || stored.get(`${userId}/${request.payload.req}`) !== 1,
    );
    expect(lost.map(({ request, phase }) => `${phase}: ${request.payload.req}`)).toEqual([]);
    expect(acknowledged.map((a) => a.phase)).toEqual(expect.arrayContaining(["before", "after"]));

    await expectLedgerBalanced(environment.databaseUrl);
  }, 150_000);
});
