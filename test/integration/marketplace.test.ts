import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, type ApiClient } from "../helpers/http-client.js";
import { registerAdmin } from "../helpers/accounts.js";
import { eventually, leaveAll, sdkClient } from "../helpers/room-client.js";
import { checkLedger } from "../../src/services/ledger-checker.js";
import { auditedCredits, buyLand, connectedPlayer, holdsMismatches, nextReq, totalMoney, type Player } from "../helpers/market-fixtures.js";

let server: TestServer;
let api: ApiClient;
let adminToken: string;
const rooms: Room[] = [];

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  adminToken = (await registerAdmin(server, api)).token;
});
afterAll(async () => {
  await leaveAll(rooms);
  await server?.stop();
});

const player = (options: { cx?: number; cy?: number; balance?: number } = {}) =>
  connectedPlayer(server, api, adminToken, { ...options, rooms });
const balanceOf = async (p: Player) => (await api.get("/me", p.token)).body.user as { balance_bdt: number; held_bdt: number };
const landState = (p: Player, x: number, y: number) => ((p.room.state as any)?.lands as Map<string, any> | undefined)?.get(`${x},${y}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("fixed-price and buy-now listings", () => {
  it("sells a fenced, signed land: the buyer pays, the seller gets the price less the fee, the fee goes to the world, fence and message are cleared", async () => {
    const seller = await player();
    const buyer = await player();
    const watcher = await player();
    await buyLand(seller, 1, 20);
    expect((await seller.send("fence", { x: 1, y: 20, passcode: "9999" })).ok).toBe(true);
    expect((await seller.send("set_message", { x: 1, y: 20, text: "for sale" })).ok).toBe(true);
    const moneyBefore = await totalMoney(server);
    const listed = await seller.send("list", { x: 1, y: 20, type: "fixed_price", price_bdt: 5_000 });
    expect(listed).toMatchObject({ ok: true, data: { type: "fixed_price", price_bdt: 5_000 } });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    await eventually(() => landState(watcher, 1, 20)?.for_sale === true && landState(watcher, 1, 20)?.listing_id === listingId);
    expect(landState(watcher, 1, 20)).toMatchObject({ listing_type: "fixed_price", price_bdt: 5_000 });

    const sellerBefore = await balanceOf(seller);
    const own = await seller.send("buy_listing", { listing_id: listingId });
    expect(own).toMatchObject({ ok: false, error: { code: "OWN_LISTING" } });
    const bought = await buyer.send("buy_listing", { listing_id: listingId });
    expect(bought).toMatchObject({ ok: true, data: { price_bdt: 5_000, fee_bdt: 250 } });

    expect((await balanceOf(buyer)).balance_bdt).toBe(100_000 - 5_000);
    expect((await balanceOf(seller)).balance_bdt).toBe(sellerBefore.balance_bdt + 4_750);
    expect(await totalMoney(server)).toBe(moneyBefore);
    const land = await server.db.query("SELECT owner_id, fenced, passcode_hash, public_message, for_sale FROM lands WHERE x = 1 AND y = 20");
    expect(land.rows[0]).toEqual({ owner_id: buyer.userId, fenced: false, passcode_hash: null, public_message: null, for_sale: false });
    const transaction = await server.db.query("SELECT kind, amount_bdt, platform_fee_bdt, seller_receives_bdt FROM transactions WHERE listing_id = $1", [listingId]);
    expect(transaction.rows).toEqual([{ kind: "listing_sale", amount_bdt: "5000", platform_fee_bdt: "250", seller_receives_bdt: "4750" }]);
    const fee = await server.db.query("SELECT amount_bdt FROM world_ledger WHERE reason = 'platform_fee' AND transaction_id = (SELECT transaction_id FROM transactions WHERE listing_id = $1)", [listingId]);
    expect(fee.rows).toEqual([{ amount_bdt: "250" }]);

    await eventually(() => landState(watcher, 1, 20)?.owner_id === buyer.userId && landState(watcher, 1, 20)?.for_sale === false);
    expect(landState(watcher, 1, 20)).toMatchObject({ fenced: false, public_message: "", listing_id: "" });
    await eventually(() => watcher.events.some((event) => event.type === "sold" && event.listing_id === listingId));
    await eventually(() => seller.events.some((event) => event.type === "sold" && event.listing_id === listingId));
    const again = await buyer.send("buy_listing", { listing_id: listingId });
    expect(again).toMatchObject({ ok: false, error: { code: "LISTING_CLOSED" } });
  });

  it("only the owner lists, once; only the seller cancels; bad terms are INVALID_INPUT", async () => {
    const owner = await player();
    const stranger = await player();
    await buyLand(owner, 2, 20);
    expect(await stranger.send("list", { x: 2, y: 20, type: "buy_now", price_bdt: 100 })).toMatchObject({ ok: false, error: { code: "NOT_OWNER" } });
    expect(await owner.send("list", { x: 2, y: 20, type: "fixed_price", price_bdt: 100, duration_s: 60 })).toMatchObject({
      ok: false,
      error: { code: "INVALID_INPUT" },
    });
    expect(await owner.send("list", { x: 2, y: 20, type: "auction", price_bdt: 100 })).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    expect(await owner.send("list", { x: 2, y: 20, type: "auction", price_bdt: 100, duration_s: 5 })).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    expect(await owner.send("list", { x: 2, y: 20, type: "auction", price_bdt: 100, duration_s: 60, reserve_price_bdt: 50 })).toMatchObject({
      ok: false,
      error: { code: "INVALID_INPUT" },
    });
    const listed = await owner.send("list", { x: 2, y: 20, type: "buy_now", price_bdt: 100 });
    expect(listed.ok).toBe(true);
    expect(await owner.send("list", { x: 2, y: 20, type: "buy_now", price_bdt: 200 })).toMatchObject({ ok: false, error: { code: "CONFLICT" } });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    expect(await stranger.send("cancel_listing", { listing_id: listingId })).toMatchObject({ ok: false, error: { code: "NOT_OWNER" } });
    expect(await owner.send("cancel_listing", { listing_id: listingId })).toMatchObject({ ok: true, data: { status: "cancelled" } });
    expect(await owner.send("cancel_listing", { listing_id: listingId })).toMatchObject({ ok: false, error: { code: "LISTING_CLOSED" } });
    expect(await stranger.send("buy_listing", { listing_id: listingId })).toMatchObject({ ok: false, error: { code: "LISTING_CLOSED" } });
    expect(await owner.send("list", { x: 2, y: 20, type: "buy_now", price_bdt: 300 })).toMatchObject({ ok: true });
  });

  it("refuses a purchase the buyer cannot afford with INSUFFICIENT_FUNDS and moves nothing", async () => {
    const seller = await player();
    const poor = await player({ balance: 50 });
    await buyLand(seller, 3, 20);
    const listed = await seller.send("list", { x: 3, y: 20, type: "fixed_price", price_bdt: 10_000 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    expect(await poor.send("buy_listing", { listing_id: listingId })).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_FUNDS" } });
    expect((await server.db.query("SELECT owner_id FROM lands WHERE x = 3 AND y = 20")).rows[0].owner_id).toBe(seller.userId);
    expect((await balanceOf(poor)).balance_bdt).toBe(50);
  });
});

describe("auctions", () => {
  it("proxy bidding: the price rises by the increment needed to lead, holds follow the leader, the outbid hear of it, and the reserve-met winner pays the price", async () => {
    const seller = await player();
    const alice = await player();
    const bob = await player();
    const carol = await player();
    await buyLand(seller, 4, 20);
    const listed = await seller.send("list", { x: 4, y: 20, type: "auction", price_bdt: 1_000, reserve_price_bdt: 1_200, duration_s: 10 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    await eventually(() => landState(alice, 4, 20)?.min_bid_bdt === 1_000);

    expect(await seller.send("bid", { listing_id: listingId, amount_bdt: 5_000 })).toMatchObject({ ok: false, error: { code: "OWN_LISTING" } });
    expect(await alice.send("bid", { listing_id: listingId, amount_bdt: 999 })).toMatchObject({ ok: false, error: { code: "BID_TOO_LOW" } });

    // Alice's maximum is 2,000: above the reserve, so the price jumps from the start to the reserve.
    expect(await alice.send("bid", { listing_id: listingId, amount_bdt: 2_000 })).toMatchObject({ ok: true, data: { leading: true, price_bdt: 1_200, min_bid_bdt: 1_250 } });
    expect((await balanceOf(alice)).held_bdt).toBe(2_000);
    // Bob bids 1,500: Alice's proxy answers; the price becomes 1,500 + 50.
    expect(await bob.send("bid", { listing_id: listingId, amount_bdt: 1_500 })).toMatchObject({ ok: true, data: { leading: false, outcome: "outbid_at_once", price_bdt: 1_550 } });
    expect((await balanceOf(bob)).held_bdt).toBe(0);
    await eventually(() => bob.events.some((event) => event.type === "outbid" && event.listing_id === listingId));
    // Carol bids 3,000: she leads at one increment above Alice's maximum, and Alice's hold is released.
    expect(await carol.send("bid", { listing_id: listingId, amount_bdt: 3_000 })).toMatchObject({ ok: true, data: { leading: true, price_bdt: 2_050 } });
    expect((await balanceOf(alice)).held_bdt).toBe(0);
    expect((await balanceOf(carol)).held_bdt).toBe(3_000);
    await eventually(() => alice.events.some((event) => event.type === "outbid" && event.listing_id === listingId));
    await eventually(() => landState(bob, 4, 20)?.highest_bid_bdt === 2_050 && landState(bob, 4, 20)?.highest_bidder_id === carol.userId);
    expect(landState(bob, 4, 20)?.min_bid_bdt).toBe(2_100);
    expect(await seller.send("cancel_listing", { listing_id: listingId })).toMatchObject({ ok: false, error: { code: "CONFLICT" } });
    const notifications = await api.get("/me/notifications", alice.token);
    expect(notifications.body.notifications.some((n: any) => n.type === "outbid")).toBe(true);

    const sellerBefore = await balanceOf(seller);
    const moneyBefore = await totalMoney(server);
    await eventually(() => landState(bob, 4, 20)?.owner_id === carol.userId, 20_000, 100);
    await eventually(() => bob.events.some((event) => event.type === "auction_closed" && event.listing_id === listingId && event.outcome === "sold"));
    expect(await balanceOf(carol)).toEqual(expect.objectContaining({ balance_bdt: 100_000 - 2_050, held_bdt: 0 }));
    expect((await balanceOf(seller)).balance_bdt).toBe(sellerBefore.balance_bdt + 2_050 - 103);
    expect(await totalMoney(server)).toBe(moneyBefore);
    const bids = await server.db.query("SELECT bidder_id, status FROM bids WHERE listing_id = $1 ORDER BY created_at", [listingId]);
    expect(bids.rows.map((row) => row.status)).toEqual(["outbid", "outbid", "won"]);
  }, 30_000);

  it("a watcher's view of an auction never goes back: every patch shows a price at least the one before", async () => {
    const seller = await player();
    const bob = await player();
    const carol = await player();
    const watcher = await player();
    await buyLand(seller, 12, 20);
    const listed = await seller.send("list", { x: 12, y: 20, type: "auction", price_bdt: 500, duration_s: 10, auto_extend: true, auto_extend_s: 20 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    await eventually(() => landState(watcher, 12, 20)?.listing_id === listingId);
    const seen: Array<{ price: number; leader: string }> = [];
    watcher.room.onStateChange(() => {
      const land = landState(watcher, 12, 20);
      if (land?.listing_id === listingId) seen.push({ price: land.price_bdt, leader: land.highest_bidder_id });
    });

    // A bidding war inside the soft-close window (every bid extends the end), with raises by the
    // leader and by the runner-up, some sent together.
    let maximum = 500;
    for (let round = 0; round < 8; round++) {
      maximum += 300;
      const [first, second] = round % 2 === 0 ? [bob, carol] : [carol, bob];
      await Promise.all([
        first.send("bid", { listing_id: listingId, amount_bdt: maximum }),
        second.send("bid", { listing_id: listingId, amount_bdt: maximum + 100 }),
      ]);
      await first.send("bid", { listing_id: listingId, amount_bdt: maximum + 250 });
    }
    const final = (await server.db.query("SELECT current_price_bdt FROM listings WHERE listing_id = $1", [listingId])).rows[0];
    await eventually(() => landState(watcher, 12, 20)?.price_bdt === Number(final.current_price_bdt), 10_000);
    await sleep(500); // anything late would arrive now

    expect(seen.length).toBeGreaterThan(1);
    const backwards = seen.filter((view, index) => index > 0 && view.price < seen[index - 1]!.price);
    expect(backwards).toEqual([]);
    expect(seen.every((view) => view.price <= 500 || view.leader !== "")).toBe(true);
    expect(seen.at(-1)!.price).toBe(Number(final.current_price_bdt));
  }, 60_000);

  it("bids committed together: one that funds cannot cover is refused and holds nothing, the rest apply, and a req sent three times at once acts once", async () => {
    const seller = await player();
    const poor = await player({ balance: 1_500 });
    const bidders = await Promise.all([player(), player(), player(), player()]);
    await buyLand(seller, 13, 20);
    const listed = await seller.send("list", { x: 13, y: 20, type: "auction", price_bdt: 1_000, duration_s: 60 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    // The first bid keeps the listing's writer busy; everything sent meanwhile queues behind it and is
    // committed as one batch, in which the poor bidder's 5,000 comes before the others' higher bids.
    const opening = bidders[0]!.send("bid", { listing_id: listingId, amount_bdt: 1_000 });
    const repeated = { req: nextReq("bid"), listing_id: listingId, amount_bdt: 7_000 };
    const together = [
      poor.send("bid", { listing_id: listingId, amount_bdt: 5_000 }),
      bidders[1]!.send("bid", { listing_id: listingId, amount_bdt: 6_000 }),
      ...[0, 1, 2].map(() => bidders[2]!.results.send("bid", repeated, 20_000)),
      bidders[3]!.send("bid", { listing_id: listingId, amount_bdt: 8_000 }),
    ];
    expect(await opening).toMatchObject({ ok: true });
    const [poorResult, sixThousand, ...rest] = await Promise.all(together);
    const repeatedResults = rest.slice(0, 3);
    expect(poorResult).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_FUNDS" } });
    expect(sixThousand).toMatchObject({ ok: true });
    expect(rest[3]).toMatchObject({ ok: true, data: { leading: true } });
    expect(repeatedResults[0]).toMatchObject({ ok: true });
    expect(repeatedResults.map((result) => JSON.stringify(result))).toEqual(Array(3).fill(JSON.stringify(repeatedResults[0])));

    // A resend of the refused req is answered the same; nothing is held for it.
    expect(await poor.results.send("bid", { req: poorResult!.req, listing_id: listingId, amount_bdt: 5_000 }, 20_000)).toEqual(poorResult);
    expect((await balanceOf(poor)).held_bdt).toBe(0);
    const bids = await server.db.query("SELECT bidder_id, amount_bdt, status FROM bids WHERE listing_id = $1", [listingId]);
    expect(bids.rows.filter((row) => row.bidder_id === poor.userId)).toEqual([]);
    expect(bids.rows.filter((row) => row.bidder_id === bidders[2]!.userId)).toHaveLength(1);
    const listing = (await server.db.query("SELECT bid_count, current_price_bdt FROM listings WHERE listing_id = $1", [listingId])).rows[0];
    expect(listing.bid_count).toBe(4);
    expect(bids.rows).toHaveLength(4);
    expect(bids.rows.filter((row) => row.status === "active").map((row) => row.bidder_id)).toEqual([bidders[3]!.userId]);
    // Newest first, bids committed together included: each has the time it was decided (the route shows milliseconds).
    const history = (await api.get(`/listings/${listingId}`)).body.bids as Array<{ bidder_id: string; created_at: string }>;
    const times = history.map((bid) => Date.parse(bid.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(history.at(-1)!.bidder_id).toBe(bidders[0]!.userId);
    // The leader holds 8,000; every other maximum has been released.
    expect((await balanceOf(bidders[3]!)).held_bdt).toBe(8_000);
    for (const outbid of bidders.slice(0, 3)) expect((await balanceOf(outbid)).held_bdt).toBe(0);
    await eventually(() => landState(seller, 13, 20)?.highest_bidder_id === bidders[3]!.userId && landState(seller, 13, 20)?.highest_bid_bdt === Number(listing.current_price_bdt));
    expect(await holdsMismatches(server)).toEqual([]);
  });

  it("a reserve that is not met: the auction expires and every hold is released", async () => {
    const seller = await player();
    const bidder = await player();
    await buyLand(seller, 5, 20);
    const listed = await seller.send("list", { x: 5, y: 20, type: "auction", price_bdt: 100, reserve_price_bdt: 5_000, duration_s: 10 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    expect(await bidder.send("bid", { listing_id: listingId, amount_bdt: 800 })).toMatchObject({ ok: true });
    expect((await balanceOf(bidder)).held_bdt).toBe(800);
    await eventually(async () => (await server.db.query("SELECT status FROM listings WHERE listing_id = $1", [listingId])).rows[0].status === "expired", 20_000, 200);
    expect(await balanceOf(bidder)).toEqual(expect.objectContaining({ balance_bdt: 100_000, held_bdt: 0 }));
    expect((await server.db.query("SELECT owner_id FROM lands WHERE x = 5 AND y = 20")).rows[0].owner_id).toBe(seller.userId);
    await eventually(() => bidder.events.some((event) => event.type === "auction_closed" && event.outcome === "expired"));
  }, 30_000);

  it("buy-now during an auction ends it at once and releases the leader's hold", async () => {
    const seller = await player();
    const leader = await player();
    const buyer = await player();
    await buyLand(seller, 6, 20);
    const listed = await seller.send("list", { x: 6, y: 20, type: "auction", price_bdt: 100, duration_s: 60, buy_now_price_bdt: 900 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    expect(await leader.send("bid", { listing_id: listingId, amount_bdt: 500 })).toMatchObject({ ok: true });
    expect(await buyer.send("buy_listing", { listing_id: listingId })).toMatchObject({ ok: true, data: { price_bdt: 900, fee_bdt: 45 } });
    expect(await balanceOf(leader)).toEqual(expect.objectContaining({ balance_bdt: 100_000, held_bdt: 0 }));
    expect((await server.db.query("SELECT status FROM listings WHERE listing_id = $1", [listingId])).rows[0].status).toBe("sold");
    expect(await leader.send("bid", { listing_id: listingId, amount_bdt: 2_000 })).toMatchObject({ ok: false, error: { code: "LISTING_CLOSED" } });
    await eventually(() => leader.events.some((event) => event.type === "auction_closed" && event.listing_id === listingId));
  });

  it("soft close: bids in the last seconds extend the end twice; every client sees the new end and an auction_extended event", async () => {
    const seller = await player();
    const a = await player();
    const b = await player();
    await buyLand(seller, 7, 20);
    const listed = await seller.send("list", { x: 7, y: 20, type: "auction", price_bdt: 100, duration_s: 10, auto_extend: true, auto_extend_s: 4 });
    const { listing_id: listingId, auction_end_ms: originalEnd } = listed.data as { listing_id: string; auction_end_ms: number };
    await sleep(Math.max(0, originalEnd - Date.now() - 3_000));
    const first = await a.send("bid", { listing_id: listingId, amount_bdt: 200 });
    const firstEnd = (first.data as { auction_end_ms: number }).auction_end_ms;
    expect(firstEnd).toBeGreaterThan(originalEnd);
    await eventually(() => b.events.some((event) => event.type === "auction_extended" && event.auction_end_ms === firstEnd));
    await eventually(() => landState(b, 7, 20)?.auction_end_ms === firstEnd);
    await sleep(Math.max(0, firstEnd - Date.now() - 2_000));
    const second = await b.send("bid", { listing_id: listingId, amount_bdt: 400 });
    const secondEnd = (second.data as { auction_end_ms: number }).auction_end_ms;
    expect(secondEnd).toBeGreaterThan(firstEnd);
    await eventually(() => a.events.some((event) => event.type === "auction_extended" && event.auction_end_ms === secondEnd));
    expect((await server.db.query("SELECT extensions FROM listings WHERE listing_id = $1", [listingId])).rows[0].extensions).toBe(2);
    // Closed once, at the final end, by the job scheduled for it.
    await eventually(() => landState(a, 7, 20)?.owner_id === b.userId, 15_000, 100);
    expect(Date.now()).toBeGreaterThanOrEqual(secondEnd);
  }, 40_000);

  it("an auction whose close job is lost is closed by the sweeper", async () => {
    const seller = await player();
    await buyLand(seller, 8, 20);
    const listed = await seller.send("list", { x: 8, y: 20, type: "auction", price_bdt: 100, duration_s: 10 });
    const { listing_id: listingId, auction_end_ms: endMs } = listed.data as { listing_id: string; auction_end_ms: number };
    const queue = server.server.services.auctionsQueue;
    await eventually(async () => (await queue.getJob(`close-${listingId}-${endMs}`)) !== undefined);
    await (await queue.getJob(`close-${listingId}-${endMs}`))!.remove();
    await eventually(async () => (await server.db.query("SELECT status FROM listings WHERE listing_id = $1", [listingId])).rows[0].status === "expired", 25_000, 250);
  }, 40_000);
});

describe("notifications", () => {
  it("an outbid player connected to several chunk rooms with one login hears of it once", async () => {
    const seller = await player();
    const first = await player();
    const second = await player();
    await buyLand(seller, 9, 20);
    const listed = await seller.send("list", { x: 9, y: 20, type: "auction", price_bdt: 100, duration_s: 60 });
    const listingId = (listed.data as { listing_id: string }).listing_id;
    // The same login in two more chunk rooms, as a client keeps the chunks around it joined.
    const elsewhere = await sdkClient(server.wsUrl, first.token).joinOrCreate("chunk", { cx: 1, cy: 0 });
    const further = await sdkClient(server.wsUrl, first.token).joinOrCreate("chunk", { cx: 0, cy: 1 });
    rooms.push(elsewhere, further);
    const outbids: unknown[] = [];
    for (const room of [first.room, elsewhere, further]) {
      room.onMessage("event", (event: { type: string; listing_id: string }) => {
        if (event.type === "outbid" && event.listing_id === listingId) outbids.push(event);
      });
    }
    expect(await first.send("bid", { listing_id: listingId, amount_bdt: 200 })).toMatchObject({ ok: true });
    expect(await second.send("bid", { listing_id: listingId, amount_bdt: 500 })).toMatchObject({ ok: true, data: { leading: true } });
    await eventually(() => outbids.length >= 1);
    await sleep(500);
    expect(outbids).toHaveLength(1);
  });
});

describe("money is conserved", () => {
  it("20 users doing 500 random list, bid, buy and cancel operations at once keep every balance, hold and owner consistent", async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => player({ cx: 1, cy: 1, balance: 50_000 })));
    const lands: Array<[number, number]> = [];
    await Promise.all(users.map(async (user, i) => {
      const x = 32 + i;
      await buyLand(user, x, 40);
      lands.push([x, 40]);
    }));
    const creditsBefore = await auditedCredits(server);
    const moneyBefore = await totalMoney(server);
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const listingIds: string[] = [];
    const operations = Array.from({ length: 500 }, (_, i) => i);
    await Promise.all(users.map(async (user, u) => {
      for (const i of operations.filter((op) => op % 20 === u)) {
        const roll = random();
        const [x, y] = lands[Math.floor(random() * lands.length)]!;
        const listingId = listingIds[Math.floor(random() * listingIds.length)];
        if (roll < 0.25) {
          const type = random() < 0.5 ? "fixed_price" : "auction";
          const result = await user.send("list", type === "auction" ? { x, y, type, price_bdt: 100 + i, duration_s: 30 } : { x, y, type, price_bdt: 100 + i });
          if (result.ok) listingIds.push((result.data as { listing_id: string }).listing_id);
        } else if (roll < 0.65 && listingId) {
          await user.send("bid", { listing_id: listingId, amount_bdt: 100 + Math.floor(random() * 3_000) });
        } else if (roll < 0.85 && listingId) {
          await user.send("buy_listing", { listing_id: listingId });
        } else if (listingId) {
          await user.send("cancel_listing", { listing_id: listingId });
        }
      }
    }));
    expect(await auditedCredits(server)).toBe(creditsBefore);
    expect(await totalMoney(server)).toBe(moneyBefore);
    expect(await holdsMismatches(server)).toEqual([]);
    const owners = await server.db.query("SELECT count(*)::int AS n FROM lands l LEFT JOIN users u ON u.user_id = l.owner_id WHERE u.user_id IS NULL");
    expect(owners.rows[0].n).toBe(0);
    const doubleListed = await server.db.query("SELECT land_id FROM listings WHERE status = 'active' GROUP BY land_id HAVING count(*) > 1");
    expect(doubleListed.rows).toEqual([]);
    const sales = await server.db.query("SELECT count(*)::int AS n FROM transactions WHERE kind IN ('listing_sale', 'auction_sale')");
    expect(sales.rows[0].n).toBeGreaterThan(0);
    expect((await checkLedger(server.server.services.pool)).problems).toEqual([]);
  }, 120_000);
});

describe("the ledger checker", () => {
  it("finds a balance changed outside the audited paths and a hold that no bid explains", async () => {
    expect((await checkLedger(server.server.services.pool)).ok).toBe(true);
    const victim = await player();
    await server.db.query("UPDATE users SET balance_bdt = balance_bdt + 7, held_bdt = held_bdt + 3 WHERE user_id = $1", [victim.userId]);
    const report = await checkLedger(server.server.services.pool);
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toMatch(/audited credits/);
    expect(report.problems.join("\n")).toMatch(new RegExp(`user ${victim.userId} holds 3 BDT`));
    await server.db.query("UPDATE users SET balance_bdt = balance_bdt - 7, held_bdt = held_bdt - 3 WHERE user_id = $1", [victim.userId]);
    expect((await checkLedger(server.server.services.pool)).ok).toBe(true);
  });
});
