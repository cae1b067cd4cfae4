import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";
import { killAll, spawnEntry, type Spawned } from "../helpers/processes.js";
import { registerUser, type ApiClient } from "../helpers/http-client.js";
import { startSpawnedServer } from "../helpers/spawned-server.js";
import { fund } from "../helpers/accounts.js";
import { eventually, resultCollector, sdkClient, leaveAll } from "../helpers/room-client.js";
import { expectLedgerBalanced } from "../helpers/ledger.js";

const environment = testEnvironment();
const running: Spawned[] = [];
const rooms: Room[] = [];
let db: pg.Pool;
let api: ApiClient;
let wsUrl: string;
let adminToken: string;

function startWorker(extra: Record<string, string> = {}) {
  const worker = spawnEntry("src/worker-main.ts", { ...environment.env, LOG_LEVEL: "info", ...extra });
  running.push(worker);
  return worker;
}

beforeAll(async () => {
  const server = await startSpawnedServer(environment, { RUN_WORKERS: "false" });
  running.push(server.process);
  ({ api, wsUrl, db, adminToken } = server);
}, 60_000);

afterAll(async () => {
  await leaveAll(rooms);
  await killAll(running);
  await db?.end();
  await forgetTestEnvironment(environment);
});

async function player() {
  const user = await registerUser(api);
  await fund(api, adminToken, user.userId, 100_000);
  const room = await sdkClient(wsUrl, user.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  rooms.push(room);
  const results = resultCollector(room);
  let n = 0;
  return { ...user, send: (type: string, payload: Record<string, unknown>) => results.send(type, { req: `${type}-${++n}`, ...payload }, 20_000) };
}

describe("a worker killed in the middle of settling", () => {
  it("settles the auction exactly once after a restart, with money conserved", async () => {
    // Purchases need a worker: the first one works normally.
    const normal = startWorker();
    const seller = await player();
    const bidder = await player();
    expect(await seller.send("buy", { x: 12, y: 12 })).toMatchObject({ ok: true });
    normal.child.kill("SIGTERM");
    expect((await normal.exited).code).toBe(0);

    const listed = await seller.send("list", { x: 12, y: 12, type: "auction", price_bdt: 500, duration_s: 10 });
    const listingId = (listed as { data: { listing_id: string } }).data.listing_id;
    expect(await bidder.send("bid", { listing_id: listingId, amount_bdt: 900 })).toMatchObject({ ok: true });
    const moneyBefore = Number((await db.query("SELECT sum(balance_bdt) AS t FROM account_balances")).rows[0].t);

    // This worker pauses inside the settlement's transaction; kill it there.
    const doomed = startWorker({ FAULT_SETTLEMENT_DELAY_MS: "20000" });
    await eventually(
      async () =>
        (
          await db.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'vlw-worker' AND state = 'idle in transaction'",
            [environment.databaseName],
          )
        ).rows[0].n > 0,
      30_000,
      100,
    );
    doomed.child.kill("SIGKILL");
    await doomed.exited;
    expect((await db.query("SELECT status FROM listings WHERE listing_id = $1", [listingId])).rows[0].status).toBe("active");

    startWorker();
    await eventually(async () => (await db.query("SELECT status FROM listings WHERE listing_id = $1", [listingId])).rows[0].status === "sold", 30_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // a sweep and any re-delivered job pass by
    const sales = await db.query("SELECT count(*)::int AS n FROM transactions WHERE listing_id = $1", [listingId]);
    expect(sales.rows[0].n).toBe(1);
    const winner = await db.query("SELECT balance_bdt, held_bdt FROM users WHERE user_id = $1", [bidder.userId]);
    expect(winner.rows[0]).toEqual({ balance_bdt: String(100_000 - 500), held_bdt: "0" });
    expect((await db.query("SELECT owner_id FROM lands WHERE x = 12 AND y = 12")).rows[0].owner_id).toBe(bidder.userId);
    expect(Number((await db.query("SELECT sum(balance_bdt) AS t FROM account_balances")).rows[0].t)).toBe(moneyBefore);
    await expectLedgerBalanced(environment.databaseUrl);
  }, 90_000);
});
