import { randomBytes, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { eventually, joinRefusal, resultCollector, sdkClient } from "../helpers/room-client.js";
import { chatAttemptKeys } from "../../src/services/chat-access-service.js";
import type { ChatMessageView } from "../../src/protocol/room-messages.js";
import { createTokenService } from "../../src/auth/token-service.js";

/** Every line the server logs (at debug level), to prove no ciphertext or IV reaches a log. */
const logLines: string[] = [];
const logCapture = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(...String(chunk).split("\n").filter((line) => line.length > 0));
    done();
  },
});

let server: TestServer;
let api: ApiClient;
let admin: { token: string; userId: string };
const rooms: Room[] = [];
type Player = { token: string; userId: string; username: string };

beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "debug" }, { logDestination: logCapture });
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
});
afterAll(async () => {
  // Rooms whose connection the server closed never answer a leave.
  await Promise.allSettled(rooms.filter((room) => room.connection?.isOpen).map((room) => room.leave()));
  await server?.stop();
});

const player = () => registerUser(api, "chat");

/** A land owned by a new funded player, bought (and fenced) through the chunk room as any client would. */
let nextLand = 0;
async function ownedLand(options: { passcode?: string } = {}) {
  const owner = await registerUser(api, "owner");
  await fund(api, admin.token, owner.userId, 100_000);
  const index = nextLand++;
  const x = 2 * (index % 16);
  const y = Math.floor(index / 16);
  const chunk = await sdkClient(server.wsUrl, owner.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  const results = resultCollector(chunk);
  const bought = await results.send("buy", { req: `buy-${index}`, x, y }, 20_000);
  expect(bought, JSON.stringify(bought)).toMatchObject({ ok: true });
  if (options.passcode) {
    const fenced = await results.send("fence", { req: `fence-${index}`, x, y, passcode: options.passcode });
    expect(fenced.ok).toBe(true);
  }
  await chunk.leave();
  const row = await server.db.query("SELECT land_id FROM lands WHERE x = $1 AND y = $2", [x, y]);
  return { owner, landId: row.rows[0].land_id as string, x, y };
}

interface ChatSession {
  room: Room;
  results: ReturnType<typeof resultCollector>;
  received: ChatMessageView[];
  deleted: string[];
  history: Promise<ChatMessageView[]>;
  left: Promise<number>;
}

async function joinChat(user: Player, landId: string, passcode?: string): Promise<ChatSession> {
  const room = await sdkClient(server.wsUrl, user.token).joinOrCreate("land_chat", {
    land_id: landId,
    ...(passcode === undefined ? {} : { passcode }),
  });
  rooms.push(room);
  const received: ChatMessageView[] = [];
  const deleted: string[] = [];
  room.onMessage("msg", (message: ChatMessageView) => received.push(message));
  room.onMessage("deleted", (message: { message_id: string }) => deleted.push(message.message_id));
  const history = new Promise<ChatMessageView[]>((resolve) =>
    room.onMessage("history", (message: { messages: ChatMessageView[] }) => resolve(message.messages)),
  );
  const left = new Promise<number>((resolve) => room.onLeave((code: number) => resolve(code)));
  return { room, results: resultCollector(room), received, deleted, history, left };
}

function chatJoinRefusal(user: Player | undefined, landId: unknown, passcode?: string) {
  return joinRefusal(
    sdkClient(server.wsUrl, user?.token).joinOrCreate("land_chat", { land_id: landId, ...(passcode === undefined ? {} : { passcode }) }),
  );
}

const fakeCiphertext = (bytes = 64) => ({ ciphertext: randomBytes(bytes).toString("base64"), iv: randomBytes(12).toString("base64"), v: "1.0", type: "text" });

async function storedCount(landId: string): Promise<number> {
  return (await server.db.query("SELECT count(*)::int AS n FROM messages WHERE land_id = $1", [landId])).rows[0].n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// AES-256-GCM through WebCrypto, as a browser client would do it. The key is
// shared out of band (here: handed from one test client to the other).
const subtle = globalThis.crypto.subtle;
const toBase64 = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64");
async function encrypt(key: CryptoKey, text: string) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(text));
  return { ciphertext: toBase64(ciphertext), iv: toBase64(iv), v: "1.0", type: "text" };
}
async function decrypt(key: CryptoKey, message: { ciphertext: string; iv: string }) {
  const plain = await subtle.decrypt({ name: "AES-GCM", iv: Buffer.from(message.iv, "base64") }, key, Buffer.from(message.ciphertext, "base64"));
  return new TextDecoder().decode(plain);
}

describe("end-to-end encrypted messages", () => {
  it("two clients exchange AES-256-GCM messages and read each other's; the table holds exactly what was sent and no log line contains it", async () => {
    const { owner: alice, landId } = await ownedLand();
    const bob = await player();
    const aliceKey = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
    const bobKey = await subtle.importKey("raw", await subtle.exportKey("raw", aliceKey), "AES-GCM", false, ["encrypt", "decrypt"]);

    const aliceChat = await joinChat(alice, landId);
    const bobChat = await joinChat(bob, landId);
    const fromAlice = await encrypt(aliceKey, "Meet at the lake at noon 🌊");
    const fromBob = await encrypt(bobKey, "I'll bring the map");

    const aliceAck = await aliceChat.results.send("msg", { req: "a1", ...fromAlice });
    const bobAck = await bobChat.results.send("msg", { req: "b1", ...fromBob });
    expect(aliceAck).toMatchObject({ req: "a1", ok: true, data: { message_id: expect.any(String), created_at: expect.any(String) } });
    expect(bobAck.ok).toBe(true);

    await eventually(() => aliceChat.received.length === 2 && bobChat.received.length === 2);
    const [first, second] = bobChat.received;
    expect(first).toMatchObject({ sender_id: alice.userId, sender_name: alice.username, ciphertext: fromAlice.ciphertext, iv: fromAlice.iv, v: "1.0", type: "text" });
    expect(first!.message_id).toBe((aliceAck as { data: { message_id: string } }).data.message_id);
    expect(first!.created_at).toBe((aliceAck as { data: { created_at: string } }).data.created_at);
    expect(await decrypt(bobKey, first!)).toBe("Meet at the lake at noon 🌊");
    expect(await decrypt(aliceKey, aliceChat.received[1]!)).toBe("I'll bring the map");
    expect(second).toMatchObject({ sender_id: bob.userId, sender_name: bob.username });

    const stored = await server.db.query(
      `SELECT m.message_id, m.encrypted_payload, m.iv, m.encryption_version, m.message_type, m.sender_id, m.client_req,
              m.tableoid::regclass::text AS partition, s.land_id AS session_land
       FROM messages m JOIN chat_sessions s ON s.session_id = m.session_id WHERE m.land_id = $1 ORDER BY m.created_at`,
      [landId],
    );
    expect(stored.rows).toHaveLength(2);
    expect(stored.rows[0]).toMatchObject({
      message_id: first!.message_id,
      encrypted_payload: fromAlice.ciphertext,
      iv: fromAlice.iv,
      encryption_version: "1.0",
      message_type: "text",
      sender_id: alice.userId,
      client_req: "a1",
      session_land: landId,
    });
    expect(stored.rows[1]).toMatchObject({ encrypted_payload: fromBob.ciphertext, iv: fromBob.iv, sender_id: bob.userId });
    expect(stored.rows[0].partition).not.toBe("messages_default");

    // The server logged at debug level while relaying, and never the payloads.
    const relayed = logLines.filter((line) => line.includes("relayed a land chat message"));
    expect(relayed.length).toBeGreaterThanOrEqual(2);
    expect(relayed.some((line) => line.includes(first!.message_id))).toBe(true);
    const everything = logLines.join("\n");
    for (const secret of [fromAlice.ciphertext, fromAlice.iv, fromBob.ciphertext, fromBob.iv]) {
      expect(everything.includes(secret)).toBe(false);
      expect(everything.includes(secret.slice(0, 16))).toBe(false);
    }
  });

  it("admits the largest valid message (16 KiB of ciphertext) and stores it whole", async () => {
    const { owner, landId } = await ownedLand();
    const chat = await joinChat(owner, landId);
    const largest = fakeCiphertext(16 * 1024);
    const ack = await chat.results.send("msg", { req: "big", ...largest, type: "attachment" });
    expect(ack.ok).toBe(true);
    await eventually(() => chat.received.length === 1);
    const row = await server.db.query("SELECT encrypted_payload, message_type FROM messages WHERE land_id = $1", [landId]);
    expect(row.rows[0]).toEqual({ encrypted_payload: largest.ciphertext, message_type: "attachment" });
  });

  it("closes a connection that sends a frame beyond WS_MAX_PAYLOAD_BYTES with 1009; nobody receives it and the room goes on", async () => {
    const { owner, landId } = await ownedLand();
    const sender = await player();
    const observer = await joinChat(owner, landId);
    const senderChat = await joinChat(sender, landId);
    senderChat.room.send("msg", { req: "huge", ...fakeCiphertext(), ciphertext: "A".repeat(70 * 1024) });
    expect(await senderChat.left).toBe(1009);
    await sleep(200);
    expect(observer.received).toHaveLength(0);
    expect(await storedCount(landId)).toBe(0);
    const after = await observer.results.send("msg", { req: "still-here", ...fakeCiphertext() });
    expect(after.ok).toBe(true);
    expect((await api.get("/health")).status).toBe(200);
  });
});

describe("when storing fails", () => {
  it("answers UNAVAILABLE, broadcasts nothing, logs no payload, and relays again once the database accepts rows", async () => {
    const { owner, landId } = await ownedLand();
    const observer = await joinChat(await player(), landId);
    const chat = await joinChat(owner, landId);
    // A real failure of the INSERT: a constraint the batch violates (its error detail would quote the row).
    await server.db.query("ALTER TABLE messages ADD CONSTRAINT test_refuse_marked CHECK (client_req IS DISTINCT FROM 'refuse-me')");
    try {
      const doomed = fakeCiphertext();
      const answer = await chat.results.send("msg", { req: "refuse-me", ...doomed });
      expect(answer).toMatchObject({ req: "refuse-me", ok: false, error: { code: "UNAVAILABLE" } });
      await sleep(200);
      expect(observer.received).toHaveLength(0);
      expect(chat.received).toHaveLength(0);
      expect(await storedCount(landId)).toBe(0);
      const failureLines = logLines.filter((line) => line.includes("could not be stored"));
      expect(failureLines.length).toBeGreaterThanOrEqual(1);
      const everything = logLines.join("\n");
      expect(everything.includes(doomed.ciphertext)).toBe(false);
      expect(everything.includes(doomed.iv)).toBe(false);
    } finally {
      await server.db.query("ALTER TABLE messages DROP CONSTRAINT test_refuse_marked");
    }
    // The failed req may be sent again.
    expect((await chat.results.send("msg", { req: "refuse-me", ...fakeCiphertext() })).ok).toBe(true);
    await eventually(() => observer.received.length === 1);
  });
});

describe("who may join", () => {
  it("on a fenced land refuses a wrong passcode, locks out the sixth try, lets the owner in, and admits another user with the right passcode", async () => {
    const { owner, landId } = await ownedLand({ passcode: "1234" });
    const intruder = await player();
    const friend = await player();

    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(await chatJoinRefusal(intruder, landId, "0000")).toEqual({ code: 403, message: "WRONG_PASSCODE" });
    }
    // Locked out now, even with the right passcode.
    expect(await chatJoinRefusal(intruder, landId, "1234")).toEqual({ code: 423, message: "LOCKED_OUT" });
    expect(await chatJoinRefusal(intruder, landId)).toEqual({ code: 423, message: "LOCKED_OUT" });

    const ownerChat = await joinChat(owner, landId);
    expect(await chatJoinRefusal(friend, landId)).toEqual({ code: 403, message: "WRONG_PASSCODE" });
    const friendChat = await joinChat(friend, landId, "1234");
    await eventually(() => (friendChat.room.state as { participant_count?: number }).participant_count === 2);
    expect(ownerChat.room.roomId).toBe(friendChat.room.roomId);
    expect(friendChat.room.roomId).toBe(`land_chat_${landId}`);

    // The HTTP history counts toward the same lockout.
    const locked = await api.call("GET", `/lands/${landId}/messages`, { token: intruder.token, headers: { "X-Land-Passcode": "1234" } });
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe("LOCKED_OUT");

    // The first lockout lasts 15 minutes; the next one, 30.
    const keys = chatAttemptKeys(server.environment.queuePrefix, landId, intruder.userId);
    const redis = server.server.services.redis;
    const firstTtl = await redis.pttl(keys.lock);
    expect(firstTtl).toBeGreaterThan(14 * 60_000);
    expect(firstTtl).toBeLessThanOrEqual(15 * 60_000);
    await redis.del(keys.lock); // as if the 15 minutes had passed
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await chatJoinRefusal(intruder, landId, "9999")).message).toBe("WRONG_PASSCODE");
    }
    expect((await chatJoinRefusal(intruder, landId, "1234")).message).toBe("LOCKED_OUT");
    const secondTtl = await redis.pttl(keys.lock);
    expect(secondTtl).toBeGreaterThan(29 * 60_000);
    expect(secondTtl).toBeLessThanOrEqual(30 * 60_000);
  });

  it("locks everyone but the owner out of a land after twenty wrong passcodes from several users within the hour", async () => {
    const { owner, landId } = await ownedLand({ passcode: "4321" });
    const guessers = await Promise.all(Array.from({ length: 4 }, () => player()));
    for (const guesser of guessers) {
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await chatJoinRefusal(guesser, landId, String(1000 + attempt))).message).toBe("WRONG_PASSCODE");
      }
    }
    const honest = await player();
    expect(await chatJoinRefusal(honest, landId, "4321")).toEqual({ code: 423, message: "LOCKED_OUT" });
    const ownerChat = await joinChat(owner, landId);
    expect(ownerChat.room.roomId).toBe(`land_chat_${landId}`);
  });

  it("anyone with a token may join the chat of an unfenced land; no token, a land no one owns or a malformed id are refused", async () => {
    const { landId } = await ownedLand();
    const passerby = await player();
    const chat = await joinChat(passerby, landId);
    expect(await chat.history).toEqual([]);
    expect(await chatJoinRefusal(undefined, landId)).toEqual({ code: 401, message: "UNAUTHENTICATED" });
    expect(await chatJoinRefusal(passerby, randomUUID())).toEqual({ code: 404, message: "NOT_FOUND" });
    expect(await chatJoinRefusal(passerby, "not-a-land")).toEqual({ code: 400, message: "INVALID_INPUT" });
    expect(await chatJoinRefusal(passerby, landId.toUpperCase())).toEqual({ code: 400, message: "INVALID_INPUT" });
  });

  it("refuses joinById into a fenced land's room with options naming another, open land", async () => {
    const fenced = await ownedLand({ passcode: "1357" });
    const open = await ownedLand();
    const ownerChat = await joinChat(fenced.owner, fenced.landId); // the fenced land's room exists
    const sneak = await player();
    const refusal = await joinRefusal(
      sdkClient(server.wsUrl, sneak.token).joinById(ownerChat.room.roomId, { land_id: open.landId }),
    );
    expect(refusal).toEqual({ code: 403, message: "FORBIDDEN" });
    await sleep(100);
    expect((ownerChat.room.state as { participant_count?: number }).participant_count).toBe(1);
  });

  it("removes members whose access ends when the owner fences the land, and keeps the owner", async () => {
    const { owner, landId, x, y } = await ownedLand();
    const visitor = await player();
    const ownerChat = await joinChat(owner, landId);
    const visitorChat = await joinChat(visitor, landId);
    await eventually(() => (ownerChat.room.state as { participant_count?: number }).participant_count === 2);

    const chunk = await sdkClient(server.wsUrl, owner.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
    rooms.push(chunk);
    expect((await resultCollector(chunk).send("fence", { req: `fence-later-${landId}`, x, y, passcode: "2468" })).ok).toBe(true);

    expect(await visitorChat.left).toBe(4403);
    await eventually(() => (ownerChat.room.state as { participant_count?: number }).participant_count === 1);
    expect((await ownerChat.results.send("msg", { req: "after-fence", ...fakeCiphertext() })).ok).toBe(true);
  });

  it("lets a member go with 4401 when the token it joined with expires, and keeps the others", async () => {
    const { owner, landId } = await ownedLand();
    const visitor = await player();
    const shortLived = createTokenService({ ...server.environment.config.jwt, ttlSeconds: 2 }).sign({ sub: visitor.userId, username: visitor.username });
    const ownerChat = await joinChat(owner, landId);
    const visitorChat = await joinChat({ ...visitor, token: shortLived }, landId);
    expect((await visitorChat.results.send("msg", { req: "before-expiry", ...fakeCiphertext() })).ok).toBe(true);

    expect(await visitorChat.left).toBe(4401);
    await eventually(() => (ownerChat.room.state as { participant_count?: number }).participant_count === 1);
    expect((await ownerChat.results.send("msg", { req: "after-expiry", ...fakeCiphertext() })).ok).toBe(true);
    // A fresh login gets back in.
    const again = await joinChat(visitor, landId);
    expect((await again.results.send("msg", { req: "fresh-login", ...fakeCiphertext() })).ok).toBe(true);
  });
});

describe("malformed messages", () => {
  it("answers each with exactly one INVALID_INPUT, stores and broadcasts nothing, and keeps serving", async () => {
    const { owner, landId } = await ownedLand();
    const sender = await player();
    const observer = await joinChat(owner, landId);
    const chat = await joinChat(sender, landId);
    const good = fakeCiphertext();
    const malformed: Array<[string, unknown, string]> = [
      ["msg", { req: "bad-b64", ...good, ciphertext: "%%%not base64%%%" }, "bad-b64"],
      ["msg", { req: "bad-pad", ...good, ciphertext: good.ciphertext.replace(/=+$/, "") + "A" }, "bad-pad"],
      ["msg", { req: "b64url", ...good, ciphertext: Buffer.from([0xfb, 0xff, 0xbf, 0xfe]).toString("base64url") }, "b64url"],
      ["msg", { req: "iv-11", ...good, iv: randomBytes(11).toString("base64") }, "iv-11"],
      ["msg", { req: "17k", ...good, ciphertext: randomBytes(17 * 1024).toString("base64") }, "17k"],
      ["msg", { req: "video", ...good, type: "video" }, "video"],
      ["msg", { ...good }, ""],
      ["msg", { req: 42, ...good }, ""],
      ["msg", { req: "num-ct", ...good, ciphertext: 12345 }, "num-ct"],
      ["msg", { req: "num-iv", ...good, iv: 7 }, "num-iv"],
      ["msg", { req: "v2", ...good, v: "2.0" }, "v2"],
      ["msg", { req: "extra", ...good, key: "please store me" }, "extra"],
      ["shout", { req: "unknown-type", ...good }, "unknown-type"],
      ["delete", { req: "bad-id", message_id: "nope" }, "bad-id"],
      ["msg", null, ""],
    ];
    for (const [type, payload] of malformed) chat.room.send(type, payload);
    await eventually(() => chat.results.results.length >= malformed.length);
    await sleep(300); // no second answer, no broadcast
    expect(chat.results.results).toHaveLength(malformed.length);
    expect(chat.results.results.map((result) => result.req).sort()).toEqual(malformed.map(([, , req]) => req).sort());
    for (const result of chat.results.results) expect(result).toMatchObject({ ok: false, error: { code: "INVALID_INPUT" } });
    expect(observer.received).toHaveLength(0);
    expect(chat.received).toHaveLength(0);
    expect(await storedCount(landId)).toBe(0);

    expect((await chat.results.send("msg", { req: "fine", ...good })).ok).toBe(true);
    await eventually(() => observer.received.length === 1);
  });

  it("answers a repeated req with the same result and stores and broadcasts the message once", async () => {
    const { owner, landId } = await ownedLand();
    const chat = await joinChat(owner, landId);
    const payload = { req: "same", ...fakeCiphertext() };
    chat.room.send("msg", payload);
    chat.room.send("msg", payload);
    const answers = await chat.results.waitFor("same", 2);
    expect(answers[0]!.ok).toBe(true);
    expect(answers[1]).toEqual(answers[0]);
    await sleep(200);
    expect(chat.received).toHaveLength(1);
    expect(await storedCount(landId)).toBe(1);
  });
});

describe("history", () => {
  it("sends a joiner the last 50 messages oldest first, and pages back over HTTP with before and limit", async () => {
    const { owner, landId } = await ownedLand();
    const senders = [owner, await player(), await player()];
    const sessions = await Promise.all(senders.map((sender) => joinChat(sender, landId)));
    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      const ack = await sessions[i % 3]!.results.send("msg", { req: `h${i}`, ...fakeCiphertext(32) });
      expect(ack.ok, JSON.stringify(ack)).toBe(true);
      sent.push((ack as { data: { message_id: string } }).data.message_id);
    }

    const late = await joinChat(await player(), landId);
    const history = await late.history;
    expect(history.map((message) => message.message_id)).toEqual(sent.slice(10));
    expect(history[0]).toMatchObject({ v: "1.0", type: "text", ciphertext: expect.any(String), iv: expect.any(String), sender_name: expect.any(String) });

    const reader = await player();
    const first = await api.get(`/lands/${landId}/messages?limit=20`, reader.token);
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toContain("no-store");
    expect(first.body.messages.map((m: ChatMessageView) => m.message_id)).toEqual(sent.slice(40));
    expect(first.body.next_before).toBe(sent[40]);
    const second = await api.get(`/lands/${landId}/messages?limit=20&before=${first.body.next_before}`, reader.token);
    expect(second.body.messages.map((m: ChatMessageView) => m.message_id)).toEqual(sent.slice(20, 40));
    const third = await api.get(`/lands/${landId}/messages?limit=20&before=${second.body.next_before}`, reader.token);
    expect(third.body.messages.map((m: ChatMessageView) => m.message_id)).toEqual(sent.slice(0, 20));
    expect(third.body.next_before).toBeNull();

    const byTime = await api.get(`/lands/${landId}/messages?before=${encodeURIComponent(history[0]!.created_at)}`, reader.token);
    expect(byTime.body.messages.map((m: ChatMessageView) => m.message_id)).toEqual(sent.slice(0, 10));
    const defaults = await api.get(`/lands/${landId}/messages`, reader.token);
    expect(defaults.body.messages).toHaveLength(50);

    expect((await api.get(`/lands/${landId}/messages?limit=101`, reader.token)).status).toBe(400);
    expect((await api.get(`/lands/${landId}/messages?limit=0`, reader.token)).status).toBe(400);
    expect((await api.get(`/lands/${landId}/messages?before=${randomUUID()}`, reader.token)).body.error.code).toBe("INVALID_INPUT");
    expect((await api.get(`/lands/${landId}/messages`)).status).toBe(401);
    expect((await api.get(`/lands/${randomUUID()}/messages`, reader.token)).status).toBe(404);
  });

  it("serves a fenced land's history over HTTP to its owner and to a user with the passcode header only", async () => {
    const { owner, landId } = await ownedLand({ passcode: "8642" });
    const ownerChat = await joinChat(owner, landId);
    expect((await ownerChat.results.send("msg", { req: "secret", ...fakeCiphertext() })).ok).toBe(true);
    const stranger = await player();
    const url = `/lands/${landId}/messages`;
    const ownerView = await api.get(url, owner.token);
    expect(ownerView.body.messages).toHaveLength(1);
    const without = await api.get(url, stranger.token);
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe("WRONG_PASSCODE");
    const wrong = await api.call("GET", url, { token: stranger.token, headers: { "X-Land-Passcode": "0000" } });
    expect(wrong.body.error.code).toBe("WRONG_PASSCODE");
    const right = await api.call("GET", url, { token: stranger.token, headers: { "X-Land-Passcode": "8642" } });
    expect(right.status).toBe(200);
    expect(right.body.messages).toHaveLength(1);
    expect(JSON.stringify(right.body)).not.toContain("passcode");
  });
});

describe("deleting messages", () => {
  it("lets the sender and the land's owner delete, refuses others with FORBIDDEN, and never serves a deleted message again", async () => {
    const { owner, landId } = await ownedLand();
    const alice = await player();
    const mallory = await player();
    const ownerChat = await joinChat(owner, landId);
    const aliceChat = await joinChat(alice, landId);
    const malloryChat = await joinChat(mallory, landId);
    const ids: string[] = [];
    for (const [i, session] of [aliceChat, aliceChat, aliceChat].entries()) {
      const ack = await session.results.send("msg", { req: `d${i}`, ...fakeCiphertext() });
      ids.push((ack as { data: { message_id: string } }).data.message_id);
    }

    expect(await malloryChat.results.send("delete", { req: "steal", message_id: ids[0] })).toMatchObject({
      ok: false,
      error: { code: "FORBIDDEN" },
    });
    expect(await aliceChat.results.send("delete", { req: "mine", message_id: ids[0] })).toMatchObject({ ok: true, data: { message_id: ids[0] } });
    expect(await ownerChat.results.send("delete", { req: "moderate", message_id: ids[1] })).toMatchObject({ ok: true });
    expect(await aliceChat.results.send("delete", { req: "again", message_id: ids[0] })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(await aliceChat.results.send("delete", { req: "nowhere", message_id: randomUUID() })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });

    await eventually(() => malloryChat.deleted.length === 2);
    expect(malloryChat.deleted).toEqual([ids[0], ids[1]]);
    const rows = await server.db.query("SELECT message_id FROM messages WHERE land_id = $1 AND deleted_at IS NOT NULL", [landId]);
    expect(rows.rows.map((row) => row.message_id).sort()).toEqual([ids[0], ids[1]].sort());

    const late = await joinChat(await player(), landId);
    expect((await late.history).map((message) => message.message_id)).toEqual([ids[2]]);
    const page = await api.get(`/lands/${landId}/messages`, mallory.token);
    expect(page.body.messages.map((message: ChatMessageView) => message.message_id)).toEqual([ids[2]]);
  });
});

describe("rate limits", () => {
  it("admits a burst of 20 per user across connections, answers RATE_LIMITED beyond it, and broadcasts only what it admitted", async () => {
    const { owner, landId } = await ownedLand();
    const chatty = await player();
    const observer = await joinChat(owner, landId);
    const first = await joinChat(chatty, landId);
    const second = await joinChat(chatty, landId); // the limit is per user, not per connection
    for (let i = 0; i < 15; i++) {
      first.room.send("msg", { req: `r1-${i}`, ...fakeCiphertext(16) });
      second.room.send("msg", { req: `r2-${i}`, ...fakeCiphertext(16) });
    }
    await eventually(() => first.results.results.length === 15 && second.results.results.length === 15, 10_000);
    const all = [...first.results.results, ...second.results.results];
    const ok = all.filter((result) => result.ok).length;
    const limited = all.filter((result) => !result.ok && result.error.code === "RATE_LIMITED").length;
    expect(ok + limited).toBe(30);
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThanOrEqual(22); // 10 per second refill while the 30 are handled
    await sleep(300);
    expect(observer.received).toHaveLength(ok);
    expect(await storedCount(landId)).toBe(ok);
  });

  it("disconnects a client that keeps flooding, and the room goes on", async () => {
    const { owner, landId } = await ownedLand();
    const flooder = await player();
    const observer = await joinChat(owner, landId);
    const chat = await joinChat(flooder, landId);
    for (let i = 0; i < 300; i++) chat.room.send("msg", { req: `f${i}`, ...fakeCiphertext(16) });
    expect(await chat.left).toBe(4429);
    await sleep(300);
    expect(observer.received.length).toBeLessThanOrEqual(22);
    expect((await observer.results.send("msg", { req: "calm", ...fakeCiphertext() })).ok).toBe(true);
  });
});

describe("sessions", () => {
  it("keeps one active session per land whose participant_count follows the room, as does the room state", async () => {
    const { owner, landId } = await ownedLand();
    const a = await joinChat(owner, landId);
    const b = await joinChat(await player(), landId);
    const c = await joinChat(await player(), landId);
    const countIn = (session: ChatSession) => (session.room.state as { participant_count?: number; land_id?: string }).participant_count;
    await eventually(() => countIn(a) === 3 && countIn(c) === 3);
    expect((a.room.state as { land_id?: string }).land_id).toBe(landId);
    const dbCount = async () =>
      (await server.db.query("SELECT participant_count FROM chat_sessions WHERE land_id = $1 AND status = 'active'", [landId])).rows;
    await eventually(async () => (await dbCount())[0]?.participant_count === 3);
    await b.room.leave();
    await eventually(() => countIn(a) === 2);
    await eventually(async () => (await dbCount())[0]?.participant_count === 2);
    await a.room.leave();
    await c.room.leave();
    await eventually(async () => (await dbCount())[0]?.participant_count === 0);
    const sessions = await server.db.query("SELECT count(*)::int AS n FROM chat_sessions WHERE land_id = $1", [landId]);
    expect(sessions.rows[0].n).toBe(1);

    // The room is gone; a new one reuses the session and serves the history.
    const roomList = `${server.environment.queuePrefix}:cy:roomcaches`;
    await eventually(async () => (await server.server.services.redis.hexists(roomList, `land_chat_${landId}`)) === 0);
    const again = await joinChat(owner, landId);
    await eventually(() => countIn(again) === 1);
    expect((await server.db.query("SELECT count(*)::int AS n FROM chat_sessions WHERE land_id = $1", [landId])).rows[0].n).toBe(1);
  });
});
