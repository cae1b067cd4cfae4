import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { registerAdmin } from "../helpers/accounts.js";

const WORLD_ACCOUNT_ID = "00000000-0000-4000-8000-000000000001";
const UNKNOWN_ID = "6f1c2b9e-1d2a-4c3b-8e4f-5a6b7c8d9e0f";

interface Player {
  token: string;
  userId: string;
  username: string;
}

let server: TestServer;
let api: ApiClient;
let alice: Player; // seller of F1, A1, S1, C1, X1
let dave: Player; // seller of A2, B1 and the bulk listings
let bob: Player; // bidder
let carol: Player; // bidder
let admin: Player;

/** Listing and bid ids of the fixtures, by name. */
const ids = { F1: "", A1: "", A2: "", B1: "", S1: "", C1: "", X1: "" };
const bids = { bobA1: "", carolA1: "", bobA2: "" };
const BULK_LISTINGS = 25;

/** Every number anywhere in a JSON value: a private amount must not appear under any key. */
function numbersIn(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(numbersIn);
  return [];
}

// ---------------------------------------------------------------------------
// Fixtures for a read-side test. The write path (list, bid, settle through the
// chunk room) is built separately; these rows are inserted with SQL so this
// file tests only what the HTTP read routes make of the stored state. Times
// are explicit so the expected order is known.
// ---------------------------------------------------------------------------

async function insertLand(ownerId: string, x: number, y: number): Promise<string> {
  const { rows } = await server.db.query(
    `INSERT INTO lands (owner_id, x, y, biome, elevation, color_hex, price_base_bdt)
     VALUES ($1, $2, $3, 'grassland', 0.5, '#55aa55', 1000) RETURNING land_id`,
    [ownerId, x, y],
  );
  return rows[0].land_id;
}

interface ListingFixture {
  landId: string;
  sellerId: string;
  type: "fixed_price" | "buy_now" | "auction";
  status?: "active" | "sold" | "expired" | "cancelled";
  price: number;
  reserve?: number;
  buyNow?: number;
  current?: number;
  bidCount?: number;
  minutesAgo: number;
  /** Auctions only: minutes from now until the end (negative: already over). */
  endsInMinutes?: number;
}

async function insertListing(f: ListingFixture): Promise<string> {
  const status = f.status ?? "active";
  const { rows } = await server.db.query(
    `INSERT INTO listings (land_id, seller_id, type, status, price_bdt, reserve_price_bdt, buy_now_enabled,
                           buy_now_price_bdt, current_price_bdt, bid_count, auction_start_time, auction_end_time,
                           auto_extend, auto_extend_s, created_at, sold_at, closed_at)
     VALUES ($1, $2, $3::text, $4::text, $5, $6, $7::bigint IS NOT NULL, $7::bigint, $8, $9,
             CASE WHEN $3 = 'auction' THEN now() - make_interval(mins => $10) END,
             CASE WHEN $3 = 'auction' THEN now() + make_interval(mins => $11) END,
             $3 = 'auction', CASE WHEN $3 = 'auction' THEN 120 END,
             now() - make_interval(mins => $10),
             CASE WHEN $4 = 'sold' THEN now() - make_interval(mins => $10) + interval '5 minutes' END,
             CASE WHEN $4 <> 'active' THEN now() - make_interval(mins => $10) + interval '5 minutes' END)
     RETURNING listing_id`,
    [
      f.landId,
      f.sellerId,
      f.type,
      status,
      f.price,
      f.reserve ?? null,
      f.buyNow ?? null,
      f.current ?? null,
      f.bidCount ?? 0,
      f.minutesAgo,
      f.endsInMinutes ?? 24 * 60,
    ],
  );
  return rows[0].listing_id;
}

async function insertBid(listingId: string, bidderId: string, maximum: number, status: string, minutesAgo: number) {
  const { rows } = await server.db.query(
    `INSERT INTO bids (listing_id, bidder_id, amount_bdt, status, created_at)
     VALUES ($1, $2, $3, $4, now() - make_interval(mins => $5)) RETURNING bid_id`,
    [listingId, bidderId, maximum, status, minutesAgo],
  );
  return rows[0].bid_id as string;
}

async function insertTransaction(t: {
  landId: string;
  sellerId: string;
  buyerId: string;
  listingId?: string;
  kind: string;
  amount: number;
  fee: number;
  minutesAgo: number;
}): Promise<string> {
  // transactions are insert-only (a trigger refuses UPDATE and DELETE): write each row once, final.
  const { rows } = await server.db.query(
    `INSERT INTO transactions (land_id, seller_id, buyer_id, listing_id, kind, amount_bdt, platform_fee_bdt,
                               created_at, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() - make_interval(mins => $8), now() - make_interval(mins => $8))
     RETURNING transaction_id`,
    [t.landId, t.sellerId, t.buyerId, t.listingId ?? null, t.kind, t.amount, t.fee, t.minutesAgo],
  );
  return rows[0].transaction_id;
}

async function insertNotification(userId: string, type: string, payload: unknown, minutesAgo: number, read = false) {
  const { rows } = await server.db.query(
    `INSERT INTO notifications (user_id, type, payload, created_at, read_at)
     VALUES ($1, $2, $3, now() - make_interval(mins => $4), CASE WHEN $5 THEN now() END)
     RETURNING notification_id`,
    [userId, type, JSON.stringify(payload), minutesAgo, read],
  );
  return rows[0].notification_id as string;
}

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
  alice = await registerUser(api, "alice");
  dave = await registerUser(api, "dave");
  bob = await registerUser(api, "bob");
  carol = await registerUser(api, "carol");

  const l1 = await insertLand(alice.userId, 5, 5); // chunk (0, 0)
  const l2 = await insertLand(alice.userId, 40, 3); // chunk (1, 0)
  const l3 = await insertLand(dave.userId, 10, 40); // chunk (0, 1)
  const l4 = await insertLand(dave.userId, 70, 70); // chunk (2, 2)
  const l5 = await insertLand(alice.userId, 6, 6); // chunk (0, 0), only closed listings

  ids.F1 = await insertListing({ landId: l1, sellerId: alice.userId, type: "fixed_price", price: 1000, minutesAgo: 50 });
  // Proxy bidding: bob's maximum 1500 was beaten by carol's 3000, so the visible price is 1500 + 50.
  ids.A1 = await insertListing({
    landId: l2,
    sellerId: alice.userId,
    type: "auction",
    price: 500,
    reserve: 4000,
    buyNow: 9000,
    current: 1550,
    bidCount: 2,
    minutesAgo: 40,
  });
  // One bid: the visible price is the starting price, below the reserve, but
  // bob's maximum (800) reaches the reserve, so the auction would sell now.
  ids.A2 = await insertListing({
    landId: l3,
    sellerId: dave.userId,
    type: "auction",
    price: 100,
    reserve: 150,
    current: 100,
    bidCount: 1,
    minutesAgo: 35,
  });
  ids.B1 = await insertListing({ landId: l4, sellerId: dave.userId, type: "buy_now", price: 5000, minutesAgo: 30 });
  ids.S1 = await insertListing({ landId: l5, sellerId: alice.userId, type: "fixed_price", status: "sold", price: 1000, minutesAgo: 120 });
  ids.C1 = await insertListing({ landId: l1, sellerId: alice.userId, type: "fixed_price", status: "cancelled", price: 800, minutesAgo: 130 });
  ids.X1 = await insertListing({
    landId: l5,
    sellerId: alice.userId,
    type: "auction",
    status: "expired",
    price: 700,
    reserve: 900,
    minutesAgo: 140,
    endsInMinutes: -135,
  });

  bids.bobA1 = await insertBid(ids.A1, bob.userId, 1500, "outbid", 30);
  bids.carolA1 = await insertBid(ids.A1, carol.userId, 3000, "active", 20);
  bids.bobA2 = await insertBid(ids.A2, bob.userId, 800, "active", 25);
  await server.db.query(`UPDATE listings SET leading_bid_id = $2 WHERE listing_id = $1`, [ids.A1, bids.carolA1]);
  await server.db.query(`UPDATE listings SET leading_bid_id = $2 WHERE listing_id = $1`, [ids.A2, bids.bobA2]);

  // Older active fixed-price listings for paging, three to a timestamp so the id breaks ties.
  const base = (await server.db.query(`SELECT date_trunc('second', now()) AS t`)).rows[0].t as Date;
  for (let i = 0; i < BULK_LISTINGS; i++) {
    const land = await insertLand(dave.userId, 100 + i, 200); // chunks (3, 6) and (4, 6)
    await server.db.query(
      `INSERT INTO listings (land_id, seller_id, type, price_bdt, created_at)
       VALUES ($1, $2, 'fixed_price', $3, $5::timestamptz - make_interval(mins => $4))`,
      [land, dave.userId, 3100 + i, 60 + Math.floor(i / 3), base],
    );
  }
});
afterAll(async () => server?.stop());

describe("GET /listings", () => {
  it("lists active listings by default, newest first, with the public fields only", async () => {
    const response = await api.get("/listings?limit=200");
    expect(response.status).toBe(200);
    const listings = response.body.listings as Array<Record<string, any>>;
    expect(listings).toHaveLength(4 + BULK_LISTINGS);
    expect(listings.every((listing) => listing.status === "active")).toBe(true);
    expect(listings.slice(0, 4).map((listing) => listing.listing_id)).toEqual([ids.B1, ids.A2, ids.A1, ids.F1]);
    for (let i = 1; i < listings.length; i++) {
      expect(listings[i - 1]!.created_at >= listings[i]!.created_at).toBe(true);
    }
    expect(response.body.next_cursor).toBeNull();
    expect(Object.keys(listings[0]!).sort()).toEqual(
      [
        "listing_id", "land_id", "x", "y", "seller_id", "seller_name", "type", "status", "price_bdt",
        "buy_now_price_bdt", "current_price_bdt", "min_bid_bdt", "bid_count", "reserve_met",
        "auction_start_time", "auction_end_time", "auto_extend", "auto_extend_s", "created_at", "sold_at", "closed_at",
      ].sort(),
    );
  });

  it("shows an auction's visible price and next minimum bid, never its reserve or leading maximum", async () => {
    const response = await api.get(`/listings?type=auction`);
    const a1 = response.body.listings.find((listing: any) => listing.listing_id === ids.A1);
    expect(a1).toMatchObject({
      x: 40,
      y: 3,
      seller_id: alice.userId,
      seller_name: alice.username,
      type: "auction",
      price_bdt: 500,
      buy_now_price_bdt: 9000,
      current_price_bdt: 1550,
      min_bid_bdt: 1600,
      bid_count: 2,
      reserve_met: false,
      auto_extend: true,
      auto_extend_s: 120,
      sold_at: null,
      closed_at: null,
    });
    const text = JSON.stringify(response.body);
    expect(text).not.toContain("reserve_price_bdt");
    expect(text).not.toContain("leading_bid");
    // Neither carol's maximum (3000) nor A1's reserve (4000) nor A2's (150) nor bob's A2 maximum (800).
    expect(numbersIn(response.body)).not.toContain(3000);
    expect(numbersIn(response.body)).not.toContain(4000);
    expect(numbersIn(response.body)).not.toContain(150);
    expect(numbersIn(response.body)).not.toContain(800);
  });

  it("filters by type", async () => {
    const auctions = await api.get("/listings?type=auction");
    expect(auctions.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.A2, ids.A1]);
    const buyNow = await api.get("/listings?type=buy_now");
    expect(buyNow.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.B1]);
    const expiredAuctions = await api.get("/listings?type=auction&status=expired");
    expect(expiredAuctions.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.X1]);
    // Closed auctions take no bids: no minimum. A reserve with no bid at all is not met.
    expect(expiredAuctions.body.listings[0]).toMatchObject({ min_bid_bdt: null, reserve_met: false, bid_count: 0 });
  });

  it("filters by status", async () => {
    const sold = await api.get("/listings?status=sold");
    expect(sold.body.listings).toHaveLength(1);
    expect(sold.body.listings[0]).toMatchObject({ listing_id: ids.S1, status: "sold", min_bid_bdt: null, reserve_met: null });
    expect(sold.body.listings[0].sold_at).not.toBeNull();
    expect(sold.body.listings[0].closed_at).not.toBeNull();
    const cancelled = await api.get("/listings?status=cancelled");
    expect(cancelled.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.C1]);
  });

  it("filters by the land's chunk", async () => {
    const origin = await api.get("/listings?cx=0&cy=0");
    expect(origin.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.F1]);
    const originHistory = await api.get("/listings?cx=0&cy=0&status=sold");
    expect(originHistory.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.S1]);
    const east = await api.get("/listings?cx=1&cy=0");
    expect(east.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.A1]);
    const south = await api.get("/listings?cx=0&cy=1");
    expect(south.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.A2]);
    // x = 100..124 at y = 200: x 100..127 is chunk 3.
    const bulk = await api.get("/listings?cx=3&cy=6&limit=200");
    expect(bulk.body.listings).toHaveLength(BULK_LISTINGS);
    const empty = await api.get("/listings?cx=9&cy=9");
    expect(empty.body).toEqual({ listings: [], next_cursor: null });
  });

  it("filters by seller", async () => {
    const mine = await api.get(`/listings?seller_id=${alice.userId}`);
    expect(mine.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.A1, ids.F1]);
    const combined = await api.get(`/listings?seller_id=${dave.userId}&type=auction&cx=0&cy=1`);
    expect(combined.body.listings.map((listing: any) => listing.listing_id)).toEqual([ids.A2]);
    const nobody = await api.get(`/listings?seller_id=${UNKNOWN_ID}`);
    expect(nobody.body.listings).toEqual([]);
  });

  it("pages through every listing exactly once, in order, across equal timestamps", async () => {
    const everything = (await api.get("/listings?limit=200")).body.listings.map((listing: any) => listing.listing_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=4&cursor=${encodeURIComponent(cursor)}` : "?limit=4";
      const response = await api.get(`/listings${query}`);
      expect(response.status).toBe(200);
      expect(response.body.listings.length).toBeLessThanOrEqual(4);
      seen.push(...response.body.listings.map((listing: any) => listing.listing_id));
      cursor = response.body.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(everything);
    expect(pages).toBe(Math.ceil(everything.length / 4));
  });

  it.each([
    ["a cursor this server did not make", "cursor=not-a-cursor"],
    ["cx without cy", "cx=1"],
    ["cy without cx", "cy=1"],
    ["a negative chunk", "cx=-1&cy=0"],
    ["a fractional chunk", "cx=1.5&cy=0"],
    ["an unknown status", "status=pending"],
    ["an unknown type", "type=barter"],
    ["a seller id that is not a UUID", "seller_id=alice"],
    ["a limit of 0", "limit=0"],
    ["a limit of 201", "limit=201"],
    ["an unknown query key", "sort=price"],
    ["a repeated key", "type=auction&type=buy_now"],
  ])("refuses %s with 400 INVALID_INPUT", async (_label, query) => {
    const response = await api.get(`/listings?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("INVALID_INPUT");
  });
});

describe("GET /listings/:listing_id", () => {
  const amountsBy = (body: any) =>
    Object.fromEntries(body.bids.map((bid: any) => [bid.bid_id, bid.amount_bdt])) as Record<string, number | null>;

  it("shows the listing and its bids newest first, with every maximum hidden from an anonymous reader", async () => {
    const response = await api.get(`/listings/${ids.A1}`);
    expect(response.status).toBe(200);
    expect(response.body.listing).toMatchObject({ listing_id: ids.A1, current_price_bdt: 1550, min_bid_bdt: 1600, reserve_met: false });
    expect(response.body.bids).toEqual([
      {
        bid_id: bids.carolA1,
        bidder_id: carol.userId,
        bidder_name: carol.username,
        amount_bdt: null,
        status: "active",
        created_at: expect.any(String),
      },
      {
        bid_id: bids.bobA1,
        bidder_id: bob.userId,
        bidder_name: bob.username,
        amount_bdt: null,
        status: "outbid",
        created_at: expect.any(String),
      },
    ]);
    expect(response.body.bids[0].created_at > response.body.bids[1].created_at).toBe(true);
    expect(numbersIn(response.body)).not.toContain(3000);
    expect(numbersIn(response.body)).not.toContain(1500);
    expect(numbersIn(response.body)).not.toContain(4000);
    expect(JSON.stringify(response.body)).not.toContain("reserve_price_bdt");
  });

  it("shows each bidder their own maximum and nobody else's", async () => {
    const asBob = await api.get(`/listings/${ids.A1}`, bob.token);
    expect(asBob.status).toBe(200);
    expect(amountsBy(asBob.body)).toEqual({ [bids.bobA1]: 1500, [bids.carolA1]: null });
    const asCarol = await api.get(`/listings/${ids.A1}`, carol.token);
    expect(amountsBy(asCarol.body)).toEqual({ [bids.bobA1]: null, [bids.carolA1]: 3000 });
  });

  it("hides the maxima from the seller and from administrators too", async () => {
    for (const viewer of [alice, admin]) {
      const response = await api.get(`/listings/${ids.A1}`, viewer.token);
      expect(response.status).toBe(200);
      expect(amountsBy(response.body)).toEqual({ [bids.bobA1]: null, [bids.carolA1]: null });
    }
  });

  it("says whether the leading maximum meets the reserve without giving either amount", async () => {
    // A1: carol leads with 3000, below the reserve of 4000.
    expect((await api.get(`/listings/${ids.A1}`)).body.listing.reserve_met).toBe(false);
    // A2: the visible price (100) is below the reserve (150), bob's maximum (800) is not: the auction would sell.
    const a2 = await api.get(`/listings/${ids.A2}`);
    expect(a2.body.listing).toMatchObject({ reserve_met: true, current_price_bdt: 100, min_bid_bdt: 110, bid_count: 1 });
    expect(numbersIn(a2.body)).not.toContain(800);
    expect(numbersIn(a2.body)).not.toContain(150);
    // No reserve at all: null, not false.
    const f1 = await api.get(`/listings/${ids.F1}`);
    expect(f1.body.listing).toMatchObject({ reserve_met: null, min_bid_bdt: null, current_price_bdt: null });
    expect(f1.body.bids).toEqual([]);
  });

  it("answers 404 NOT_FOUND for an id no listing has", async () => {
    const response = await api.get(`/listings/${UNKNOWN_ID}`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("NOT_FOUND");
  });

  it("answers 400 INVALID_INPUT for an id that is not a UUID", async () => {
    const response = await api.get("/listings/42");
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("INVALID_INPUT");
  });

  it("refuses a token that is sent but not valid with 401, rather than answering anonymously", async () => {
    for (const authorization of ["Bearer not.a.token", "Basic Ym9iOnNlY3JldA=="]) {
      const response = await api.call("GET", `/listings/${ids.A1}`, { headers: { authorization } });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("is not stored by shared caches, since the answer depends on the reader", async () => {
    const response = await api.get(`/listings/${ids.A1}`, bob.token);
    expect(response.headers.get("cache-control")).toContain("private");
    expect(response.headers.get("vary")).toContain("Authorization");
  });
});

describe("GET /me/transactions", () => {
  const tx: Record<string, string> = {};

  beforeAll(async () => {
    const l1 = (await server.db.query(`SELECT land_id FROM lands WHERE x = 5 AND y = 5`)).rows[0].land_id;
    const l5 = (await server.db.query(`SELECT land_id FROM lands WHERE x = 6 AND y = 6`)).rows[0].land_id;
    tx.aliceFirstSale = await insertTransaction({
      landId: l1,
      sellerId: WORLD_ACCOUNT_ID,
      buyerId: alice.userId,
      kind: "first_sale",
      amount: 1000,
      fee: 0,
      minutesAgo: 300,
    });
    tx.s1Sale = await insertTransaction({
      landId: l5,
      sellerId: alice.userId,
      buyerId: bob.userId,
      listingId: ids.S1,
      kind: "listing_sale",
      amount: 1000,
      fee: 50,
      minutesAgo: 115,
    });
    // Someone else's trade, on a land id no row has (transactions.land_id has no foreign key).
    tx.others = await insertTransaction({
      landId: UNKNOWN_ID,
      sellerId: dave.userId,
      buyerId: carol.userId,
      kind: "listing_sale",
      amount: 400,
      fee: 20,
      minutesAgo: 100,
    });
  });

  it("answers 401 without a token", async () => {
    const response = await api.get("/me/transactions");
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
  });

  it("shows the seller's sales and purchases, newest first, with their role and the fees", async () => {
    const response = await api.get("/me/transactions", alice.token);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("private");
    expect(response.body).toEqual({
      transactions: [
        {
          transaction_id: tx.s1Sale,
          kind: "listing_sale",
          land_id: expect.any(String),
          x: 6,
          y: 6,
          listing_id: ids.S1,
          role: "seller",
          counterparty_id: bob.userId,
          amount_bdt: 1000,
          platform_fee_bdt: 50,
          seller_receives_bdt: 950,
          status: "completed",
          created_at: expect.any(String),
        },
        {
          transaction_id: tx.aliceFirstSale,
          kind: "first_sale",
          land_id: expect.any(String),
          x: 5,
          y: 5,
          listing_id: null,
          role: "buyer",
          counterparty_id: WORLD_ACCOUNT_ID,
          amount_bdt: 1000,
          platform_fee_bdt: 0,
          seller_receives_bdt: 1000,
          status: "completed",
          created_at: expect.any(String),
        },
      ],
      next_cursor: null,
    });
  });

  it("shows the buyer the same sale as a purchase, and nothing of other people's trades", async () => {
    const response = await api.get("/me/transactions", bob.token);
    expect(response.body.transactions).toHaveLength(1);
    expect(response.body.transactions[0]).toMatchObject({
      transaction_id: tx.s1Sale,
      role: "buyer",
      counterparty_id: alice.userId,
      amount_bdt: 1000,
      platform_fee_bdt: 50,
      seller_receives_bdt: 950,
    });
  });

  it("keeps a transaction whose land has no row, with null coordinates", async () => {
    const response = await api.get("/me/transactions", carol.token);
    expect(response.body.transactions).toEqual([
      expect.objectContaining({ transaction_id: tx.others, land_id: UNKNOWN_ID, x: null, y: null, role: "buyer" }),
    ]);
  });

  it("pages without repeats and refuses a bad cursor", async () => {
    const first = await api.get("/me/transactions?limit=1", alice.token);
    expect(first.body.transactions.map((t: any) => t.transaction_id)).toEqual([tx.s1Sale]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api.get(`/me/transactions?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`, alice.token);
    expect(second.body.transactions.map((t: any) => t.transaction_id)).toEqual([tx.aliceFirstSale]);
    expect(second.body.next_cursor).toBeNull();

    const bad = await api.get("/me/transactions?cursor=bm9wZQ", alice.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_INPUT");
    const unknownKey = await api.get("/me/transactions?role=seller", alice.token);
    expect(unknownKey.status).toBe(400);
  });
});

describe("GET /me/notifications", () => {
  const notes: Record<string, string> = {};

  beforeAll(async () => {
    notes.bobOutbid = await insertNotification(bob.userId, "outbid", { listing_id: ids.A1, current_price_bdt: 1550 }, 20, true);
    notes.bobBought = await insertNotification(bob.userId, "won", { listing_id: ids.S1 }, 110);
    notes.bobLatest = await insertNotification(bob.userId, "auction_extended", { listing_id: ids.A2 }, 5);
    notes.carol = await insertNotification(carol.userId, "outbid", { listing_id: ids.A1 }, 15);
  });

  it("answers 401 without a token", async () => {
    const response = await api.get("/me/notifications");
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
  });

  it("lists only the caller's notifications, newest first", async () => {
    const response = await api.get("/me/notifications", bob.token);
    expect(response.status).toBe(200);
    expect(response.body.notifications.map((n: any) => n.notification_id)).toEqual([notes.bobLatest, notes.bobOutbid, notes.bobBought]);
    expect(response.body.notifications[1]).toEqual({
      notification_id: notes.bobOutbid,
      type: "outbid",
      payload: { listing_id: ids.A1, current_price_bdt: 1550 },
      created_at: expect.any(String),
      read_at: expect.any(String),
    });
    expect(response.body.notifications[0].read_at).toBeNull();
    const asCarol = await api.get("/me/notifications", carol.token);
    expect(asCarol.body.notifications.map((n: any) => n.notification_id)).toEqual([notes.carol]);
    const asAlice = await api.get("/me/notifications", alice.token);
    expect(asAlice.body).toEqual({ notifications: [], next_cursor: null });
  });

  it("pages without repeats", async () => {
    const first = await api.get("/me/notifications?limit=2", bob.token);
    expect(first.body.notifications).toHaveLength(2);
    const second = await api.get(`/me/notifications?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, bob.token);
    expect(second.body.notifications.map((n: any) => n.notification_id)).toEqual([notes.bobBought]);
    expect(second.body.next_cursor).toBeNull();
    const bad = await api.get("/me/notifications?cursor=bm9wZQ", bob.token);
    expect(bad.status).toBe(400);
  });
});
