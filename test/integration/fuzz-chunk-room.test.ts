import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { eventually, sdkClient } from "../helpers/room-client.js";
import { chunkMessageSchemas } from "../../src/protocol/room-messages.js";
import { forcedGc, hostileValue, settledHeap } from "../helpers/fuzz-support.js";

let server: TestServer;
let room: Room;
const results: Array<{ req: string; ok: boolean; error?: { code: string } }> = [];

beforeAll(async () => {
  // Rate limits are tested elsewhere; here every message must reach validation.
  server = await startTestServer({ CHUNK_RATE_LIMIT_PER_SECOND: "1000000", CHUNK_RATE_LIMIT_BURST: "1000000" });
  const api = apiClient(server.baseUrl);
  const admin = await registerAdmin(server, api);
  const player = await registerUser(api);
  await fund(api, admin.token, player.userId, 1_000_000);
  room = await sdkClient(server.wsUrl, player.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  room.onMessage("result", (result) => results.push(result));
});
afterAll(async () => {
  await room?.leave();
  await server?.stop();
});

const TABLES = ["lands", "listings", "bids", "transactions", "request_results", "outbox"];
async function rowCounts() {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = (await server.db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  return counts;
}

// Garbage of every shape: wrong types, huge and non-finite numbers, deep
// nesting, prototype keys, long strings, binary.
const nasty = hostileValue(["req", "x", "y"]);

const deeplyNested = fc.integer({ min: 50, max: 400 }).map((depth) => {
  let value: unknown = { req: "deep" };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
});

const messageType = fc.oneof(fc.constantFrom(...Object.keys(chunkMessageSchemas)), fc.string({ maxLength: 30 }), fc.constantFrom("__proto__", "constructor", "*", ""));

const message = fc.record({
  type: messageType,
  payload: fc.oneof(nasty, deeplyNested, fc.record({ req: fc.string({ maxLength: 70 }), x: nasty, y: nasty, passcode: nasty, text: nasty })),
});

describe("fuzzing the chunk room", () => {
  it("answers 10,000 generated malformed messages with exactly one error each, changes nothing and stays up", async () => {
    const before = await rowCounts();
    const gc = forcedGc();
    const heapBefore = await settledHeap(gc);
    const samples = fc.sample(message, { numRuns: 12_000, seed: 20261126 });
    // Keep only what the contract's schema refuses: a valid message would rightly act.
    const invalid = samples.filter(({ type, payload }) => {
      const schema = (chunkMessageSchemas as Record<string, { safeParse(v: unknown): { success: boolean } }>)[type];
      return !(Object.hasOwn(chunkMessageSchemas, type) && schema?.safeParse(payload).success);
    });
    expect(invalid.length).toBeGreaterThanOrEqual(10_000);
    const batch = 500;
    for (let start = 0; start < 10_000; start += batch) {
      const expected = results.length + batch;
      for (const { type, payload } of invalid.slice(start, start + batch)) room.send(type, payload);
      await eventually(() => results.length >= expected, 30_000, 10);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(results).toHaveLength(10_000);
    const codes = new Set(results.map((result) => (result.ok ? "OK" : result.error!.code)));
    expect([...codes]).toEqual(["INVALID_INPUT"]);
    expect(await rowCounts()).toEqual(before);
    // Still serving: a health check and a fresh join.
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    const another = await sdkClient(server.wsUrl).joinOrCreate("chunk", { cx: 1, cy: 0 });
    await another.leave();
    // Memory returns to where it was once garbage is collected (this process also runs the test and the clients).
    const heapAfter = await settledHeap(gc);
    expect((heapAfter - heapBefore) / 1024 / 1024).toBeLessThan(32);
  }, 180_000);
});
