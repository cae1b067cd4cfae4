/**
 * Benchmark: one hot auction, 50 bidders, 2,000 bids, end to end through the
 * chunk room. Reports accepted bids per second, serialization retries per
 * commit, and p50/p99 from a bid's send to the moment every other client in
 * the chunk has (at least) the new highest bid in its state. Baseline, same
 * run: the bid transaction's statements in a loop on a single `pg`
 * connection (bids on one listing are funnelled through one writer, so one
 * connection is the fair comparison).
 *
 * Run alone: `npx tsx bench/auction.ts`.
 */
import { pathToFileURL } from "node:url";
import pg from "pg";
import type { Room } from "@colyseus/sdk";
import { resultCollector, sdkClient, eventually } from "../test/helpers/room-client.js";
import { fundedPlayers, readCounter, round, startBenchServer, summarize } from "./bench-support.js";

const BIDDERS = 50;
const BIDS = 2_000;

/** The statements of one bid transaction, in a loop on one connection. */
async function singleConnectionBidLoop(databaseUrl: string, count: number) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`
    DROP TABLE IF EXISTS bench_bid_users, bench_bid_listing, bench_bids, bench_bid_audit, bench_bid_results;
    CREATE TABLE bench_bid_users (id INT PRIMARY KEY, balance BIGINT NOT NULL, held BIGINT NOT NULL DEFAULT 0);
    CREATE TABLE bench_bid_listing (id INT PRIMARY KEY, price BIGINT, leading_bid BIGINT, bid_count INT NOT NULL DEFAULT 0);
    CREATE TABLE bench_bids (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, bidder INT, amount BIGINT, status TEXT);
    CREATE TABLE bench_bid_audit (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, details JSONB);
    CREATE TABLE bench_bid_results (bidder INT, req TEXT, result JSONB, PRIMARY KEY (bidder, req));
    INSERT INTO bench_bid_users SELECT g, 1000000000 FROM generate_series(1, ${BIDDERS}) g;
    INSERT INTO bench_bid_listing VALUES (1, 100, NULL, 0);`);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const bidder = (i % BIDDERS) + 1;
    await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
    await client.query("SELECT * FROM bench_bid_results WHERE bidder = $1 AND req = $2", [bidder, `r${i}`]);
    await client.query("SELECT l.*, b.bidder, b.amount FROM bench_bid_listing l LEFT JOIN bench_bids b ON b.id = l.leading_bid WHERE l.id = 1 FOR UPDATE OF l");
    await client.query("UPDATE bench_bid_users SET held = held + $2 WHERE id = $1 AND balance - held >= $2", [bidder, 1000 + i]);
    await client.query("UPDATE bench_bids SET status = 'outbid' WHERE id = (SELECT leading_bid FROM bench_bid_listing WHERE id = 1)");
    await client.query("UPDATE bench_bid_users SET held = greatest(held - 1000, 0) WHERE id = $1", [((i + 1) % BIDDERS) + 1]);
    const bid = await client.query("INSERT INTO bench_bids (bidder, amount, status) VALUES ($1, $2, 'active') RETURNING id", [bidder, 1000 + i]);
    await client.query("UPDATE bench_bid_listing SET price = $1, leading_bid = $2, bid_count = bid_count + 1 WHERE id = 1", [1000 + i, bid.rows[0].id]);
    await client.query("INSERT INTO bench_bid_audit (details) VALUES ($1)", [JSON.stringify({ i })]);
    await client.query("INSERT INTO bench_bid_results VALUES ($1, $2, '{}')", [bidder, `r${i}`]);
    await client.query("COMMIT");
  }
  const perSecond = count / ((performance.now() - started) / 1000);
  await client.query("DROP TABLE bench_bid_users, bench_bid_listing, bench_bids, bench_bid_audit, bench_bid_results");
  await client.end();
  return perSecond;
}

export async function benchAuction() {
  const server = await startBenchServer();
  try {
    const baselinePerSecond = await singleConnectionBidLoop(server.environment.databaseUrl, 1_000);
    const [seller, ...bidders] = await fundedPlayers(server, BIDDERS + 1, 50_000_000);
    const join = async (token: string) => {
      const room: Room = await sdkClient(server.wsUrl, token).joinOrCreate("chunk", { cx: 2, cy: 2 });
      // Bidders are told when they are outbid, as real clients are; unhandled,
      // the SDK would print a warning for every one of them.
      room.onMessage("event", () => undefined);
      return { room, results: resultCollector(room) };
    };
    const sellerSession = await join(seller!.token);
    expect((await sellerSession.results.send("buy", { req: "land", x: 70, y: 70 })).ok);
    const listed = await sellerSession.results.send("list", { req: "list", x: 70, y: 70, type: "auction", price_bdt: 100, duration_s: 3600 });
    const listingId = (listed as { data: { listing_id: string } }).data.listing_id;
    const sessions = await Promise.all(bidders.map((bidder) => join(bidder.token)));

    // Arrival of each price at each client: the first time its state shows a highest bid at least that high.
    const observers = sessions.map((session) => {
      const seen: Array<{ price: number; at: number }> = [];
      session.room.onStateChange((state: any) => {
        const land = state?.lands?.get?.("70,70");
        if (land && (seen.length === 0 || land.highest_bid_bdt > seen[seen.length - 1]!.price)) seen.push({ price: land.highest_bid_bdt, at: performance.now() });
      });
      return seen;
    });
    const arrivalAt = (seen: Array<{ price: number; at: number }>, price: number) => seen.find((entry) => entry.price >= price)?.at;

    const retriesBefore = await readCounter(server.baseUrl, "vlw_db_serialization_retries_total", 'operation="bid"');
    const sends: Array<{ bidder: number; price: number; sentAt: number }> = [];
    let accepted = 0;
    let next = 0;
    let minBid = 100;
    const started = performance.now();
    await Promise.all(
      sessions.map(async (session, index) => {
        let n = 0;
        while (next < BIDS) {
          next++;
          // A bidding war: each maximum tops every earlier one (bids are sent in
          // this order and the listing's writer takes them in arrival order).
          // The spacing is above twice the largest increment, so a bid overtaken
          // on the way by the next one is still acceptable.
          const amount = 1_000 + next * 12_000;
          const sentAt = performance.now();
          const result = (await session.results.send("bid", { req: `b${index}-${n++}`, listing_id: listingId, amount_bdt: amount }, 30_000)) as {
            ok: boolean;
            data?: { price_bdt: number; min_bid_bdt: number };
          };
          if (result.ok && result.data) {
            accepted++;
            minBid = Math.max(minBid, result.data.min_bid_bdt);
            sends.push({ bidder: index, price: result.data.price_bdt, sentAt });
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const bidsPerSecond = accepted / elapsed;
    const retries = (await readCounter(server.baseUrl, "vlw_db_serialization_retries_total", 'operation="bid"')) - retriesBefore;
    const latenciesOf = async (phase: typeof sends) => {
      const finalPrice = Math.max(...phase.map((s) => s.price));
      await eventually(() => observers.every((seen) => (seen[seen.length - 1]?.price ?? 0) >= finalPrice), 10_000);
      return summarize(
        phase
          .map((send) => Math.max(...observers.filter((_, i) => i !== send.bidder).map((seen) => (arrivalAt(seen, send.price) ?? Number.NaN) - send.sentAt)))
          .filter((value) => Number.isFinite(value)),
      );
    };
    const saturation = await latenciesOf(sends);

    // Half of that rate, open loop: latency without the queue that saturation builds.
    const halfRate = bidsPerSecond / 2;
    const halfSends: typeof sends = [];
    const halfStart = performance.now();
    const pending: Promise<void>[] = [];
    for (let k = 0; performance.now() - halfStart < 5_000; k++) {
      const wait = halfStart + (k * 1000) / halfRate - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const index = k % sessions.length;
      const amount = 1_000 + next++ * 12_000;
      const sentAt = performance.now();
      pending.push(
        sessions[index]!.results.send("bid", { req: `h${k}`, listing_id: listingId, amount_bdt: amount }, 30_000).then((result) => {
          const data = (result as { ok: boolean; data?: { price_bdt: number } }).data;
          if (result.ok && data) halfSends.push({ bidder: index, price: data.price_bdt, sentAt });
        }),
      );
    }
    await Promise.all(pending);
    const half = await latenciesOf(halfSends);
    await Promise.allSettled([sellerSession, ...sessions].map((session) => session.room.leave()));
    return {
      acceptedBidsPerSecond: round(bidsPerSecond, 1),
      baselineTransactionsPerSecond: round(baselinePerSecond, 1),
      ratio: round(bidsPerSecond / baselinePerSecond, 3),
      retriesPerCommit: round(retries / Math.max(1, accepted), 4),
      broadcastP50Ms: round(saturation.p50, 1),
      broadcastP99Ms: round(saturation.p99, 1),
      halfRateBidsPerSecond: round(halfSends.length / 5, 1),
      halfRateBroadcastP50Ms: round(half.p50, 1),
      halfRateBroadcastP99Ms: round(half.p99, 1),
      acceptedBids: accepted,
      bidders: BIDDERS,
    };
  } finally {
    await server.stop();
  }
}

function expect(condition: unknown): void {
  if (!condition) throw new Error("benchmark setup failed");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchAuction();
  console.table(result);
  console.log(JSON.stringify({ bench: "auction", ...result }));
  process.exit(0);
}
