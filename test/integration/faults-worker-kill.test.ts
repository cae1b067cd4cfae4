import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";
import { killAll, spawnEntry, type Spawned } from "../helpers/processes.js";
import { registerUser, type ApiClient } from "../helpers/http-client.js";
import { startSpawnedServer } from "../helpers/spawned-server.js";
import { fund } from "../helpers/accounts.js";
import { eventually, leaveAll, resultCollector, sdkClient } from "../helpers/room-client.js";
import { sendUntilAnswered, wasRetried, type ResentRequest } from "../helpers/resending-sender.js";
import { expectLedgerBalanced } from "../helpers/ledger.js";

// Issue #7: a worker SIGKILLed with about a thousand purchases and bids in
// flight. The server runs without workers (RUN_WORKERS=false), so every
// `buy` and `buy_listing` crosses BullMQ to the worker process that dies;
// bids are committed by the server's listing writer and keep flowing.
const environment = testEnvironment({
  // One player sends dozens of actions at once here; the per-player limits are not under test.
  CHUNK_RATE_LIMIT_PER_SECOND: "100000",
  CHUNK_RATE_LIMIT_BURST: "100000",
  LOG_LEVEL: "warn",
});
const PLAYERS = 24;
/** Requests each player keeps in flight at once. */
const LANES_PER_PLAYER = 6;
const FIXED_LISTING_ROWS = [1, 2];
const LOAD_ROWS_FROM = 4;

const running: Spawned[] = [];
const rooms: Room[] = [];
let db: pg.Pool;
let api: ApiClient;
let wsUrl: string;
let adminToken: string;

function startWorker() {
  const worker = spawnEntry("src/worker-main.ts", environment.env);
  running.push(worker);
  return worker;
}

beforeAll(async () => {
  const server = await startSpawnedServer(environment, { RUN_WORKERS: "false" });
  running.push(server.process);
  startWorker();
  ({ api, wsUrl, db, adminToken } = server);
}, 60_000);

afterAll(async () => {
  await leaveAll(rooms);
  await killAll(running);
  await db?.end();
  await forgetTestEnvironment(environment);
});

async function player(index: number) {
  const user = await registerUser(api);
  await fund(api, adminToken, user.userId, 1_000_000);
  const room = await sdkClient(wsUrl, user.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  rooms.push(room);
  room.onMessage("event", () => undefined); // sold, outbid, …: not under test here
  const results = resultCollector(room);
  let fixtureReqs = 0;
  /** A set-up step that must succeed (the worker is healthy then). */
  const setUp = async (type: string, payload: Record<string, unknown>) => {
    const result = await results.send(type, { req: `setup-${++fixtureReqs}`, ...payload }, 30_000);
    if (!result.ok) throw new Error(`set-up ${type} failed: ${JSON.stringify(result)}`);
    return result.data as Record<string, any>;
  };
  return { ...user, index, room, results, setUp };
}
type Player = Awaited<ReturnType<typeof player>>;

const totalMoney = async () => Number((await db.query("SELECT sum(balance_bdt)::bigint AS t FROM account_balances")).rows[0].t);
const isPurchase = (request: ResentRequest) => request.type === "buy" || request.type === "buy_listing";
const describeRequest = (request: ResentRequest) => `${request.type} ${request.payload.req} ${request.attempts.join(">")}`;

/** Each player's share of the load: distinct lands to buy, listings to race for, bids on the open auctions; interleaved. */
function planLoad(players: Player[], fixedListings: string[], auctions: string[]) {
  const freeLands: Array<{ x: number; y: number }> = [];
  for (let y = LOAD_ROWS_FROM; y < 32; y++) for (let x = 0; x < 32; x++) freeLands.push({ x, y });
  const buysEach = 27;
  return players.map((p) => {
    const buys = freeLands.slice(p.index * buysEach, (p.index + 1) * buysEach).map((land) => ({ type: "buy", payload: land }));
    // Several players go for each listing: one sale each, the others are told it is closed.
    const listingBuys = Array.from({ length: 6 }, (_, k) => ({
      type: "buy_listing",
      payload: { listing_id: fixedListings[(p.index * 5 + k * 11) % fixedListings.length]! },
    }));
    const bids = Array.from({ length: 9 }, (_, k) => ({
      type: "bid",
      // Rising over the run, so later bids tend to lead and earlier ones are outbid or too low.
      payload: { listing_id: auctions[(p.index + k) % auctions.length]!, amount_bdt: 200 + k * 450 + p.index * 17 },
    }));
    const mixed: Array<{ type: string; payload: Record<string, unknown> }> = [];
    const total = buys.length + listingBuys.length + bids.length;
    for (let i = 0; mixed.length < total; i++) {
      if (i < buys.length) mixed.push(buys[i]!);
      if (i % 4 === 0 && listingBuys.length > 0) mixed.push(listingBuys.shift()!);
      if (i % 3 === 1 && bids.length > 0) mixed.push(bids.shift()!);
      if (i >= buys.length) mixed.push(...listingBuys.splice(0), ...bids.splice(0));
    }
    return mixed.map((action, i) => ({ ...action, payload: { req: `load-${i}`, ...action.payload } }));
  });
}

describe("a worker SIGKILLed with a thousand purchases and bids in flight", () => {
  it("after a restart, every request is answered, each acknowledged purchase is stored exactly once, none is applied twice, and money is conserved", async () => {
    const players = await Promise.all(Array.from({ length: PLAYERS }, (_, i) => player(i)));
    const sellers = players.slice(0, 4);

    // Listings to race for and auctions to bid on, set up while the worker is healthy.
    const fixedListings: string[] = [];
    const auctions: string[] = [];
    await Promise.all(
      sellers.map(async (seller) => {
        await seller.setUp("buy", { x: seller.index, y: 0 });
        const auction = await seller.setUp("list", { x: seller.index, y: 0, type: "auction", price_bdt: 100, duration_s: 600, auto_extend: false });
        auctions.push(auction.listing_id);
        for (const y of FIXED_LISTING_ROWS) {
          for (let x = seller.index; x < 32; x += sellers.length) {
            await seller.setUp("buy", { x, y });
            fixedListings.push((await seller.setUp("list", { x, y, type: "fixed_price", price_bdt: 500 })).listing_id);
          }
        }
      }),
    );
    // An auction that ends around the crash: its close goes through the worker too.
    const closer = sellers[0]!;
    const winner = players[4]!;
    await closer.setUp("buy", { x: 10, y: 3 });
    const closing = (await closer.setUp("list", { x: 10, y: 3, type: "auction", price_bdt: 100, duration_s: 10, auto_extend: false })).listing_id as string;
    await winner.setUp("bid", { listing_id: closing, amount_bdt: 300 });

    const plans = planLoad(players, fixedListings, auctions);
    expect(plans.flat().length).toBeGreaterThanOrEqual(1_000);
    const moneyBefore = await totalMoney();

    // The load: every player keeps a few requests in flight and resends a
    // request's `req` after UNAVAILABLE or silence, as the contract allows.
    const deadline = Date.now() + 120_000;
    let purchasesInFlight = 0;
    const finished: ResentRequest[] = [];
    const outcomes = plans.map(async (plan, p) => {
      const requests: ResentRequest[] = [];
      let next = 0;
      const lane = async () => {
        while (next < plan.length) {
          const action = plan[next++]!;
          const purchase = action.type !== "bid";
          if (purchase) purchasesInFlight++;
          const request = await sendUntilAnswered(players[p]!.results, action.type, action.payload as ResentRequest["payload"], {
            answerTimeoutMs: 20_000,
            retryDelayMs: 500,
            deadline,
          });
          if (purchase) purchasesInFlight--;
          requests.push(request);
          finished.push(request);
        }
      };
      await Promise.all(Array.from({ length: LANES_PER_PLAYER }, lane));
      return requests;
    });

    // SIGKILL the worker once purchases are being acknowledged, with many more in flight.
    await eventually(() => finished.filter((r) => isPurchase(r) && r.final?.ok).length >= 100, 60_000, 20);
    const worker = running[1]!;
    worker.child.kill("SIGKILL");
    const inFlightPurchases = purchasesInFlight;
    await worker.exited;
    startWorker();

    const grouped = await Promise.all(outcomes);
    const requests = grouped.flat();
    expect(inFlightPurchases).toBeGreaterThan(0);

    // Every request got a final answer (ok or a business refusal), never INTERNAL;
    // some met UNAVAILABLE or silence first and were resolved by sending the same req again.
    expect(requests.filter((r) => !r.final).map(describeRequest)).toEqual([]);
    const finalCodes = (type: string) =>
      new Set(requests.filter((r) => r.type === type).map((r) => (r.final!.ok ? "OK" : r.final!.error.code)));
    expect([...finalCodes("buy")]).toEqual(["OK"]);
    expect([...finalCodes("buy_listing")].filter((code) => !["OK", "LISTING_CLOSED", "OWN_LISTING"].includes(code))).toEqual([]);
    expect([...finalCodes("bid")].filter((code) => !["OK", "BID_TOO_LOW", "OWN_LISTING", "INSUFFICIENT_FUNDS"].includes(code))).toEqual([]);
    expect(requests.filter((r) => isPurchase(r) && wasRetried(r)).length).toBeGreaterThan(0);

    // What each player's requests did in the database, by (user, req).
    const byRequest = (userId: string, req: string) => `${userId}/${req}`;
    const okRequests = new Map<string, ResentRequest & { userId: string }>();
    grouped.forEach((playerRequests, p) => {
      for (const request of playerRequests) {
        if (request.final?.ok) okRequests.set(byRequest(players[p]!.userId, request.payload.req), { ...request, userId: players[p]!.userId });
      }
    });
    const transactions = await db.query<{ user_id: string; req: string; n: number; land_id: string; listing_id: string | null; kind: string }>(
      `SELECT request_user_id AS user_id, request_req AS req, count(*)::int AS n, min(land_id::text) AS land_id,
              min(listing_id::text) AS listing_id, min(kind) AS kind
       FROM transactions WHERE request_req LIKE 'load-%' GROUP BY 1, 2`,
    );
    // No request applied twice, and none applied without being acknowledged ok.
    expect(transactions.rows.filter((row) => row.n !== 1)).toEqual([]);
    expect(transactions.rows.filter((row) => !okRequests.has(byRequest(row.user_id, row.req)))).toEqual([]);
    const transactionOf = new Map(transactions.rows.map((row) => [byRequest(row.user_id, row.req), row]));
    const owners = new Map(
      (await db.query<{ x: number; y: number; owner_id: string }>("SELECT x, y, owner_id FROM lands")).rows.map((row) => [`${row.x},${row.y}`, row.owner_id]),
    );
    const listingLands = new Map(
      (await db.query<{ listing_id: string; x: number; y: number }>("SELECT li.listing_id, la.x, la.y FROM listings li JOIN lands la USING (land_id)")).rows.map(
        (row) => [row.listing_id, `${row.x},${row.y}`],
      ),
    );
    const misplaced: string[] = [];
    for (const [key, request] of okRequests) {
      if (request.type === "buy") {
        const data = request.final!.ok ? (request.final!.data as { land_id: string }) : undefined;
        const row = transactionOf.get(key);
        if (owners.get(`${request.payload.x},${request.payload.y}`) !== request.userId) misplaced.push(`${key}: land not owned by its buyer`);
        if (row?.kind !== "first_sale" || row.land_id !== data?.land_id) misplaced.push(`${key}: no first_sale row for its land`);
      }
      if (request.type === "buy_listing") {
        const listingId = request.payload.listing_id as string;
        if (owners.get(listingLands.get(listingId)!) !== request.userId) misplaced.push(`${key}: listed land not owned by its buyer`);
        if (transactionOf.get(key)?.listing_id !== listingId) misplaced.push(`${key}: no sale row for its listing`);
      }
    }
    expect(misplaced).toEqual([]);

    // Bids: each acknowledged bid is one bid row, a refused one none.
    const bidRows = await db.query<{ bidder_id: string; req: string; n: number }>(
      "SELECT bidder_id, request_req AS req, count(*)::int AS n FROM bids WHERE request_req LIKE 'load-%' GROUP BY 1, 2",
    );
    expect(bidRows.rows.filter((row) => row.n !== 1)).toEqual([]);
    const okBids = [...okRequests.entries()].filter(([, request]) => request.type === "bid").map(([key]) => key).sort();
    expect(bidRows.rows.map((row) => byRequest(row.bidder_id, row.req)).sort()).toEqual(okBids);

    // A resent req after all this replays its first answer and changes nothing.
    const transactionCount = async () => Number((await db.query("SELECT count(*) AS n FROM transactions")).rows[0].n);
    const countBefore = await transactionCount();
    const samples = grouped.flatMap((playerRequests, p) =>
      ["buy", "buy_listing", "bid"].flatMap((type) =>
        playerRequests
          .filter((r) => r.type === type && r.final)
          .slice(0, 2)
          .map((request) => ({ request, sender: players[p]! })),
      ),
    );
    const replays = await Promise.all(samples.map(({ request, sender }) => sender.results.send(request.type, request.payload, 30_000)));
    replays.forEach((replay, i) => expect(replay).toEqual(samples[i]!.request.final));
    expect(await transactionCount()).toBe(countBefore);

    // The auction that ended around the crash is closed once, for its leader.
    await eventually(async () => (await db.query("SELECT status FROM listings WHERE listing_id = $1", [closing])).rows[0].status === "sold", 30_000, 200);
    expect((await db.query("SELECT count(*)::int AS n FROM transactions WHERE listing_id = $1", [closing])).rows[0].n).toBe(1);
    expect((await db.query("SELECT owner_id FROM lands WHERE x = 10 AND y = 3")).rows[0].owner_id).toBe(winner.userId);

    expect(await totalMoney()).toBe(moneyBefore);
    await expectLedgerBalanced(environment.databaseUrl);
  }, 180_000);
});
