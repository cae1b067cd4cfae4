import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { landTerrain, DEFAULT_WORLD_CONFIG } from "../../src/domain/world/index.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { eventually, resultCollector, sdkClient, leaveAll } from "../helpers/room-client.js";
import { createTokenService } from "../../src/auth/token-service.js";
import { userEventsChannel } from "../../src/services/outbox.js";
import { roomServices } from "../../rooms/room-services.js";

let server: TestServer;
let api: ApiClient;
let admin: { token: string; userId: string };
const rooms: Room[] = [];

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
});
afterAll(async () => {
  await leaveAll(rooms);
  await server?.stop();
});

async function fundedPlayer(amount = 100_000) {
  const user = await registerUser(api);
  await fund(api, admin.token, user.userId, amount);
  return user;
}

async function join(cx: number, cy: number, token?: string) {
  const room = await sdkClient(server.wsUrl, token).joinOrCreate("chunk", { cx, cy });
  rooms.push(room);
  return { room, results: resultCollector(room) };
}

async function totalMoney(): Promise<number> {
  const { rows } = await server.db.query("SELECT sum(balance_bdt)::bigint AS total FROM account_balances");
  return Number(rows[0].total);
}

const priceAt = (x: number, y: number) => landTerrain(DEFAULT_WORLD_CONFIG, x, y).price_bdt;

describe("buying land in a chunk room", () => {
  it("fifty funded buyers racing for one land: exactly one ok, forty-nine ALREADY_OWNED, money conserved", async () => {
    const buyers = await Promise.all(Array.from({ length: 50 }, () => fundedPlayer(10_000)));
    const before = await totalMoney();
    const sessions = await Promise.all(buyers.map((buyer) => join(0, 0, buyer.token)));
    const outcomes = await Promise.all(sessions.map(({ results }, i) => results.send("buy", { req: `race-${i}`, x: 5, y: 7 }, 20_000)));

    const ok = outcomes.filter((outcome) => outcome.ok);
    const codes = outcomes.filter((outcome) => !outcome.ok).map((outcome) => (outcome as { error: { code: string } }).error.code);
    expect(ok).toHaveLength(1);
    expect(codes).toEqual(Array(49).fill("ALREADY_OWNED"));
    expect(await totalMoney()).toBe(before);

    const winner = buyers[outcomes.findIndex((outcome) => outcome.ok)]!;
    const owner = await server.db.query("SELECT owner_id, biome, price_base_bdt FROM lands WHERE x = 5 AND y = 7");
    expect(owner.rows).toHaveLength(1);
    expect(owner.rows[0].owner_id).toBe(winner.userId);
    const me = await api.get("/me", winner.token);
    expect(me.body.user.balance_bdt).toBe(10_000 - priceAt(5, 7));
    const ledger = await server.db.query(
      "SELECT t.kind, t.amount_bdt, w.amount_bdt AS world_credit FROM transactions t JOIN world_ledger w ON w.transaction_id = t.transaction_id WHERE t.buyer_id = $1",
      [winner.userId],
    );
    expect(ledger.rows).toEqual([{ kind: "first_sale", amount_bdt: String(priceAt(5, 7)), world_credit: String(priceAt(5, 7)) }]);
    const audit = await server.db.query("SELECT count(*)::int AS n FROM audit_logs WHERE event_type = 'land_purchased' AND actor_id = $1", [winner.userId]);
    expect(audit.rows[0].n).toBe(1);
  });

  it("the same req sent three times buys once and gets three equal results", async () => {
    const buyer = await fundedPlayer();
    const { room, results } = await join(0, 0, buyer.token);
    for (let i = 0; i < 3; i++) room.send("buy", { req: "same-req", x: 9, y: 9 });
    const answers = await results.waitFor("same-req", 3, 15_000);
    expect(answers).toHaveLength(3);
    expect(answers[0]!.ok).toBe(true);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const again = await results.send("buy", { req: "same-req", x: 9, y: 9 });
    expect(again).toEqual(answers[0]);
    const purchases = await server.db.query("SELECT count(*)::int AS n FROM transactions WHERE buyer_id = $1", [buyer.userId]);
    expect(purchases.rows[0].n).toBe(1);
    expect((await api.get("/me", buyer.token)).body.user.balance_bdt).toBe(100_000 - priceAt(9, 9));
  });

  it("refuses a purchase the buyer cannot pay for with INSUFFICIENT_FUNDS and changes nothing", async () => {
    const poor = await registerUser(api, "poor");
    const { results } = await join(0, 0, poor.token);
    const answer = await results.send("buy", { req: "broke", x: 11, y: 3 });
    expect(answer).toMatchObject({ req: "broke", ok: false, error: { code: "INSUFFICIENT_FUNDS" } });
    expect((await server.db.query("SELECT count(*)::int AS n FROM lands WHERE x = 11 AND y = 3")).rows[0].n).toBe(0);
  });
});

describe("what other clients see", () => {
  it("a second client in the chunk sees the new owner, fence and message as patches; a client of another chunk sees nothing", async () => {
    const owner = await fundedPlayer();
    const watcher = await join(1, 0); // anonymous watchers may watch
    const elsewhere = await join(2, 0);
    const { results } = await join(1, 0, owner.token);
    const landsOf = (room: Room) => ((room.state as any)?.lands ?? new Map()) as Map<string, any>;

    const bought = await results.send("buy", { req: "b1", x: 40, y: 3 });
    expect(bought, JSON.stringify(bought)).toMatchObject({ ok: true });
    const land = await eventually(() => landsOf(watcher.room).get("40,3"));
    expect(land.owner_id).toBe(owner.userId);
    expect(land.owner_name).toBe(owner.username);
    expect(land.fenced).toBe(false);

    expect((await results.send("fence", { req: "f1", x: 40, y: 3, passcode: "1234" })).ok).toBe(true);
    await eventually(() => landsOf(watcher.room).get("40,3")?.fenced === true);
    expect((await results.send("set_message", { req: "m1", x: 40, y: 3, text: "  Welcome, traveller  " })).ok).toBe(true);
    await eventually(() => landsOf(watcher.room).get("40,3")?.public_message === "Welcome, traveller");
    expect((await results.send("fence", { req: "f2", x: 40, y: 3, passcode: null })).ok).toBe(true);
    await eventually(() => landsOf(watcher.room).get("40,3")?.fenced === false);

    await new Promise((resolve) => setTimeout(resolve, 300)); // longer than several patch intervals
    expect(landsOf(elsewhere.room).size).toBe(0);

    const row = await server.db.query("SELECT fenced, passcode_hash FROM lands WHERE x = 40 AND y = 3");
    expect(row.rows[0]).toEqual({ fenced: false, passcode_hash: null });
  });

  it("a room created later loads the owned lands of its chunk from the database", async () => {
    const owner = await fundedPlayer();
    const first = await join(3, 1, owner.token);
    expect((await first.results.send("buy", { req: "late-1", x: 100, y: 40 })).ok).toBe(true);
    await first.room.leave();
    rooms.splice(rooms.indexOf(first.room), 1);
    // The empty room disposes and leaves the cluster's room list.
    const roomList = `${server.environment.queuePrefix}:cy:roomcaches`;
    await eventually(async () => (await server.server.services.redis.hexists(roomList, "chunk_3_1")) === 0);
    const later = await join(3, 1);
    const land = await eventually(() => ((later.room.state as any)?.lands as Map<string, any> | undefined)?.get("100,40"));
    expect(land.owner_id).toBe(owner.userId);
  });
});

describe("owner actions", () => {
  it("only the owner may fence or sign a land: others get NOT_OWNER and nothing changes", async () => {
    const owner = await fundedPlayer();
    const stranger = await fundedPlayer();
    const ownerSession = await join(0, 1, owner.token);
    const strangerSession = await join(0, 1, stranger.token);
    expect((await ownerSession.results.send("buy", { req: "own", x: 2, y: 33 })).ok).toBe(true);
    const fence = await strangerSession.results.send("fence", { req: "steal-fence", x: 2, y: 33, passcode: "0000" });
    expect(fence).toMatchObject({ ok: false, error: { code: "NOT_OWNER" } });
    const sign = await strangerSession.results.send("set_message", { req: "steal-sign", x: 2, y: 33, text: "mine now" });
    expect(sign).toMatchObject({ ok: false, error: { code: "NOT_OWNER" } });
    const unowned = await ownerSession.results.send("fence", { req: "unowned", x: 3, y: 33, passcode: "1111" });
    expect(unowned).toMatchObject({ ok: false, error: { code: "NOT_OWNER" } });
    const row = await server.db.query("SELECT fenced, public_message FROM lands WHERE x = 2 AND y = 33");
    expect(row.rows[0]).toEqual({ fenced: false, public_message: null });
  });

  it("stores the passcode as a keyed hash bound to the land, never the digits", async () => {
    const owner = await fundedPlayer();
    const { results } = await join(0, 1, owner.token);
    expect((await results.send("buy", { req: "p-buy", x: 4, y: 34 })).ok).toBe(true);
    expect((await results.send("buy", { req: "p-buy-2", x: 5, y: 34 })).ok).toBe(true);
    expect((await results.send("fence", { req: "p-fence", x: 4, y: 34, passcode: "4321" })).ok).toBe(true);
    expect((await results.send("fence", { req: "p-fence-2", x: 5, y: 34, passcode: "4321" })).ok).toBe(true);
    const rows = (await server.db.query("SELECT land_id, passcode_hash FROM lands WHERE y = 34 AND x IN (4, 5) ORDER BY x")).rows;
    expect(rows[0].passcode_hash).toMatch(/^[0-9a-f]{64}$/);
    // Not the digits, not their plain hash (keyed), and not the same on another land (bound to the land).
    expect(rows[0].passcode_hash).not.toBe(createHash("sha256").update("4321").digest("hex"));
    expect(rows[0].passcode_hash).not.toBe(rows[1].passcode_hash);
    const audit = await server.db.query("SELECT details FROM audit_logs WHERE event_type = 'fence_set' AND resource_id = $1", [rows[0].land_id]);
    // No value of the audit row is the passcode (ids may contain the digits by chance; a value never is them).
    expect(Object.values(audit.rows[0].details).map(String)).not.toContain("4321");
  });

  it("refuses a message over 280 characters or with control characters, and accepts 280 with emoji", async () => {
    const owner = await fundedPlayer();
    const { results } = await join(0, 1, owner.token);
    expect((await results.send("buy", { req: "t-buy", x: 6, y: 35 })).ok).toBe(true);
    const tooLong = await results.send("set_message", { req: "t1", x: 6, y: 35, text: "a".repeat(281) });
    expect(tooLong).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    const control = await results.send("set_message", { req: "t2", x: 6, y: 35, text: "bell\u0007" });
    expect(control).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    const bidi = await results.send("set_message", { req: "t3", x: 6, y: 35, text: "evil\u202etxt" });
    expect(bidi).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    const fits = await results.send("set_message", { req: "t4", x: 6, y: 35, text: "🌍".repeat(280) });
    expect(fits.ok).toBe(true);
    const cleared = await results.send("set_message", { req: "t5", x: 6, y: 35, text: "   " });
    expect(cleared).toMatchObject({ ok: true, data: { public_message: "" } });
  });
});

describe("every message gets exactly one result", () => {
  it("answers malformed messages with INVALID_INPUT, anonymous actions with UNAUTHENTICATED, and changes nothing", async () => {
    const player = await fundedPlayer();
    const { room, results } = await join(0, 0, player.token);
    const anonymous = await join(0, 0);
    const malformed: Array<[string, unknown]> = [
      ["teleport", { req: "u1", x: 1, y: 1 }],
      ["buy", { req: "m1", x: 1 }],
      ["buy", { req: "m2", x: 1, y: 1, extra: true }],
      ["buy", { req: "m3", x: "1", y: 1 }],
      ["buy", { req: "m4", x: 1.5, y: 1 }],
      ["buy", { req: "m5", x: -1, y: 1 }],
      ["buy", { req: "m6", x: 40, y: 1 }], // another chunk
      ["buy", { req: "x".repeat(65), x: 1, y: 1 }],
      ["fence", { req: "m7", x: 1, y: 1, passcode: "12345" }],
      ["fence", { req: "m8", x: 1, y: 1, passcode: 1234 }],
      ["set_message", { req: "m9", x: 1, y: 1, text: null }],
      ["buy", null],
      ["buy", [1, 2, 3]],
    ];
    for (const [type, payload] of malformed) room.send(type, payload);
    const expectedReqs = ["u1", "m1", "m2", "m3", "m4", "m5", "m6", "", "m7", "m8", "m9", "", ""];
    await eventually(() => results.results.length >= malformed.length, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // no second answer arrives
    expect(results.results).toHaveLength(malformed.length);
    expect(results.results.map((r) => r.req).sort()).toEqual(expectedReqs.sort());
    for (const result of results.results) expect(result).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });

    const denied = await anonymous.results.send("buy", { req: "anon", x: 1, y: 1 });
    expect(denied).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    expect((await server.db.query("SELECT count(*)::int AS n FROM lands WHERE x = 1 AND y = 1")).rows[0].n).toBe(0);
    expect((await api.get("/me", player.token)).body.user.balance_bdt).toBe(100_000);
  });

  it("after the token a session joined with expires, it watches on, but its actions are answered UNAUTHENTICATED and its user's events stop", async () => {
    const player = await fundedPlayer();
    const shortLived = createTokenService({ ...server.environment.config.jwt, ttlSeconds: 2 }).sign({ sub: player.userId, username: player.username });
    const { room, results } = await join(0, 1, shortLived);
    const events: string[] = [];
    room.onMessage("event", (event: { type: string }) => events.push(event.type));
    const boughtBefore = await results.send("buy", { req: "before-expiry", x: 3, y: 40 });
    expect(boughtBefore.ok).toBe(true);
    // The player's own events (what the outbox publishes for outbid, sold, …) reach the session.
    const userEvent = (type: string) => roomServices().presence.publish(userEventsChannel(player.userId), { type });
    await userEvent("probe_before_expiry");
    await eventually(() => events.includes("probe_before_expiry"));

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const refused = await results.send("set_message", { req: "after-expiry", x: 3, y: 40, text: "still mine?" });
    expect(refused).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    await userEvent("probe_after_expiry");
    await new Promise((resolve) => setTimeout(resolve, 300)); // time enough for it to arrive, were it sent
    const land = await server.db.query("SELECT public_message FROM lands WHERE x = 3 AND y = 40");
    expect(land.rows[0].public_message ?? "").toBe("");

    // Still watching: a purchase by someone else in the chunk reaches it.
    const other = await fundedPlayer();
    const bought = await (await join(0, 1, other.token)).results.send("buy", { req: "other", x: 4, y: 40 });
    expect(bought.ok).toBe(true);
    await eventually(() => (room.state as { lands: Map<string, { owner_id: string }> }).lands.get("4,40")?.owner_id === other.userId);
    expect(events).not.toContain("probe_after_expiry");
  });

  it("refuses to open a room for a chunk outside the world", async () => {
    await expect(sdkClient(server.wsUrl).joinOrCreate("chunk", { cx: 5000, cy: 0 })).rejects.toMatchObject({ message: "NOT_FOUND" });
    await expect(sdkClient(server.wsUrl).joinOrCreate("chunk", { cx: "a", cy: 0 })).rejects.toMatchObject({ message: "INVALID_INPUT" });
  });
});

describe("a change of world seed", () => {
  it("changes unowned terrain and leaves a land bought through the room as it was bought, over HTTP and in the chunk", async () => {
    const buyer = await fundedPlayer();
    const { results } = await join(4, 4, buyer.token);
    const bought = await results.send("buy", { req: "seed-buy", x: 130, y: 131 });
    expect(bought.ok).toBe(true);
    const before = (await api.get("/lands/130/131")).body;
    const neighbourBefore = (await api.get("/lands/131/131")).body;
    const chunkBefore = (await api.get("/world/chunks/4/4")).body;

    const changed = await api.put("/admin/config", { world_seed: 987_654 }, admin.token);
    expect(changed.status).toBe(200);

    const after = (await api.get("/lands/130/131")).body;
    expect({ biome: after.biome, elevation: after.elevation, color_hex: after.color_hex }).toEqual({
      biome: before.biome,
      elevation: before.elevation,
      color_hex: before.color_hex,
    });
    expect(after.owner).toEqual({ user_id: buyer.userId, username: buyer.username });
    const neighbourAfter = (await api.get("/lands/131/131")).body;
    expect(neighbourAfter.owner).toBeNull();
    expect(neighbourAfter.elevation).not.toBe(neighbourBefore.elevation);

    const chunkAfter = (await api.get("/world/chunks/4/4")).body;
    expect(chunkAfter.config_version).toBeGreaterThan(chunkBefore.config_version);
    const { decodeChunkPacked } = await import("../../src/domain/world/index.js");
    const land = decodeChunkPacked(chunkAfter).find((l) => l.x === 130 && l.y === 131)!;
    expect(land.color_hex).toBe(before.color_hex);
    expect(decodeChunkPacked(chunkAfter)).not.toEqual(decodeChunkPacked(chunkBefore));
  });
});

describe("rate limits in the chunk room", () => {
  it("answers RATE_LIMITED beyond the burst, drops a connection that keeps flooding, and leaves a well-behaved client alone", async () => {
    const flooder = await fundedPlayer();
    const calm = await fundedPlayer();
    const flooding = await join(5, 5, flooder.token);
    const steady = await join(5, 5, calm.token);
    let closedWith: number | undefined;
    flooding.room.onLeave((code) => (closedWith = code));
    for (let i = 0; i < 100; i++) flooding.room.send("buy", { req: `flood-${i}`, x: 999_999, y: 0 });
    await eventually(() => flooding.results.results.length >= 100, 10_000);
    const codes = flooding.results.results.map((r) => (r.ok ? "OK" : r.error.code));
    expect(codes.filter((code) => code === "RATE_LIMITED").length).toBeGreaterThan(0);
    expect(codes.filter((code) => code === "INVALID_INPUT").length).toBeGreaterThanOrEqual(40); // the burst was served
    for (let i = 100; i < 400 && closedWith === undefined; i++) flooding.room.send("buy", { req: `flood-${i}`, x: 999_999, y: 0 });
    await eventually(() => closedWith !== undefined, 10_000);
    expect(closedWith).toBe(4429);
    expect(await steady.results.send("buy", { req: "calm-1", x: 170, y: 170 })).toMatchObject({ ok: true });
  });
});
