import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { eventually, leaveAll, resultCollector, sdkClient } from "../helpers/room-client.js";
import { forcedGc, hostileValue, settledHeap } from "../helpers/fuzz-support.js";
import { chatMessageSchemas, reqSchema, type ResultMessage } from "../../src/protocol/room-messages.js";

/**
 * The land chat room, fed 10,000 generated malformed messages (wrong types,
 * huge and non-finite numbers, deep nesting, prototype keys, long strings,
 * raw bytes) by a member: each gets exactly one `result` carrying its `req`
 * (or `""`), nothing is stored or broadcast, the room and the process go on,
 * and the heap returns to where it was.
 */

let server: TestServer;
let fuzzer: Room;
let observer: Room;
const results: ResultMessage[] = [];
const broadcasts: unknown[] = [];
let landId: string;
const rooms: Room[] = [];

beforeAll(async () => {
  // Rate limits are tested elsewhere (rate-limits.test.ts); here every message must reach validation.
  server = await startTestServer({ CHAT_RATE_LIMIT_PER_SECOND: "1000000", CHAT_RATE_LIMIT_BURST: "1000000" });
  const api = apiClient(server.baseUrl);
  const admin = await registerAdmin(server, api);
  const owner = await registerUser(api, "owner");
  await fund(api, admin.token, owner.userId, 100_000);
  const chunk = await sdkClient(server.wsUrl, owner.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  expect(await resultCollector(chunk).send("buy", { req: "buy", x: 3, y: 3 }, 20_000)).toMatchObject({ ok: true });
  await chunk.leave();
  landId = (await server.db.query("SELECT land_id FROM lands WHERE x = 3 AND y = 3")).rows[0].land_id;

  observer = await sdkClient(server.wsUrl, owner.token).joinOrCreate("land_chat", { land_id: landId });
  const member = await registerUser(api, "member");
  fuzzer = await sdkClient(server.wsUrl, member.token).joinOrCreate("land_chat", { land_id: landId });
  rooms.push(observer, fuzzer);
  for (const room of [observer, fuzzer]) {
    room.onMessage("msg", (message) => broadcasts.push(message));
    room.onMessage("deleted", (message) => broadcasts.push(message));
    room.onMessage("history", () => undefined);
  }
  fuzzer.onMessage("result", (result: ResultMessage) => results.push(result));
});
afterAll(async () => {
  await leaveAll(rooms);
  await server?.stop();
});

const nasty = hostileValue(["req", "v", "iv"]);

const deeplyNested = fc.integer({ min: 50, max: 400 }).map((depth) => {
  let value: unknown = { req: "deep" };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
});

/** Near misses of a valid `msg`: each field sometimes right, sometimes garbage; base64 of the wrong size or alphabet. */
const base64ish = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("base64")),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("base64url")),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, "")),
  fc.constantFrom("", "====", "%%%", "AAAA=", "A", "\u0000"),
  nasty,
);
const nearMiss = fc.record(
  {
    req: fc.oneof(fc.string({ maxLength: 70 }), nasty),
    ciphertext: base64ish,
    iv: base64ish,
    v: fc.oneof(fc.constantFrom("1.0", "1", "2.0", 1, 1.0), nasty),
    type: fc.oneof(fc.constantFrom("text", "image", "attachment", "video", "TEXT"), nasty),
    message_id: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), nasty),
    ["__proto__"]: nasty,
  },
  { requiredKeys: [] },
);

const messageType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.keys(chatMessageSchemas)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "*", "", "result", "history", "msg ", "MSG") },
);

/** A message as the fuzzer sends it: an object payload, or raw bytes where a payload should be. */
const message = fc.oneof(
  { weight: 9, arbitrary: fc.record({ type: messageType, payload: fc.oneof(nasty, deeplyNested, nearMiss), bytes: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ type: messageType, payload: fc.uint8Array({ maxLength: 200 }), bytes: fc.constant(true) }) },
);

/** The `req` the contract says the answer carries: the message's own when it is a valid one, `""` otherwise. */
function expectedReq(payload: unknown): string {
  if (payload && typeof payload === "object" && !(payload instanceof Uint8Array) && Object.hasOwn(payload, "req")) {
    const parsed = reqSchema.safeParse((payload as { req: unknown }).req);
    if (parsed.success) return parsed.data;
  }
  return "";
}

async function storedState() {
  const messages = await server.db.query(
    "SELECT count(*)::int AS n, md5(coalesce(string_agg(m::text, '|' ORDER BY m::text), '')) AS sum FROM messages m",
  );
  const sessions = await server.db.query("SELECT count(*)::int AS n FROM chat_sessions");
  const redis = server.server.services.redis;
  const passcodeKeys = (await redis.keys(`${server.environment.queuePrefix}:chat:*`)).sort();
  return { messages: messages.rows[0], sessions: sessions.rows[0].n, passcodeKeys };
}

describe("fuzzing the land chat room", () => {
  it("answers 10,000 generated malformed messages with exactly one INVALID_INPUT each, stores and broadcasts nothing, and stays up", async () => {
    const samples = fc.sample(message, { numRuns: 13_000, seed: 20261126 });
    // Keep only what the contract's schema refuses: a valid message would rightly be stored.
    const invalid = samples.filter(({ type, payload, bytes }) => {
      if (bytes) return true;
      const schema = (chatMessageSchemas as Record<string, { safeParse(v: unknown): { success: boolean } }>)[type];
      return !(Object.hasOwn(chatMessageSchemas, type) && schema?.safeParse(payload).success);
    });
    expect(invalid.length).toBeGreaterThanOrEqual(10_000);
    const sent = invalid.slice(0, 10_000);
    expect(sent.filter(({ bytes }) => bytes).length).toBeGreaterThan(500);

    const gc = forcedGc();
    const before = await storedState();
    const heapBefore = await settledHeap(gc);
    const batch = 500;
    for (let start = 0; start < sent.length; start += batch) {
      const expected = results.length + batch;
      for (const { type, payload, bytes } of sent.slice(start, start + batch)) {
        if (bytes) fuzzer.sendBytes(type, payload as Uint8Array);
        else fuzzer.send(type, payload);
      }
      await eventually(() => results.length >= expected, 30_000, 10);
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // no second answer, no late broadcast

    // Exactly one answer per message, each carrying the message's req (or "").
    expect(results).toHaveLength(sent.length);
    const answeredReqs = results.map((result) => result.req).sort();
    const sentReqs = sent.map(({ payload, bytes }) => (bytes ? "" : expectedReq(payload))).sort();
    expect(answeredReqs).toEqual(sentReqs);
    expect([...new Set(results.map((result) => (result.ok ? "OK" : result.error.code)))]).toEqual(["INVALID_INPUT"]);

    // Nothing stored, broadcast, or counted as a passcode attempt.
    expect(broadcasts).toEqual([]);
    expect(await storedState()).toEqual(before);

    // Still serving: the fuzzer's connection, a health check, a valid message relayed to the observer.
    expect(fuzzer.connection.isOpen).toBe(true);
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    const good = { ciphertext: Buffer.from("hello").toString("base64"), iv: Buffer.alloc(12, 1).toString("base64"), v: "1.0", type: "text" };
    const answer = resultCollector(observer);
    expect(await answer.send("msg", { req: "after-fuzz", ...good })).toMatchObject({ ok: true });
    await eventually(() => broadcasts.length === 2); // to both members

    // The garbage is not kept: after a forced collection the heap is back within a few MB of where it was.
    results.length = 0;
    const heapAfter = await settledHeap(gc);
    expect((heapAfter - heapBefore) / 1024 / 1024).toBeLessThan(32);
  }, 180_000);
});
