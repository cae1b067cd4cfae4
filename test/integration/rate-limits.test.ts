import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, type Room } from "@colyseus/sdk";
import { forgetTestEnvironment, startTestServer, testEnvironment, type TestServer } from "../helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "../helpers/processes.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { eventually, leaveAll, resultCollector, sdkClient } from "../helpers/room-client.js";
import { ConfigError, DEFAULT_CHAT_MESSAGE_COSTS, DEFAULT_CHUNK_MESSAGE_COSTS, loadConfig } from "../../src/config.js";
import { UNPARSED_MESSAGE_COST } from "../../src/services/rate-limits.js";
import { FloodDetector } from "../../src/domain/chat/index.js";
import type { ResultMessage } from "../../src/protocol/room-messages.js";

/**
 * Per-user budgets in Redis, one per room kind, from which each message takes
 * its type's price (src/config.ts, DEFAULT_*_MESSAGE_COSTS): every type is
 * limited, the budget is the same on every process, and a flooder is cut off
 * while the clients around it carry on.
 */

// Small budgets so that each type runs out within a few dozen messages:
// 12 tokens at once, 4 per second after that.
const RATE = 4;
const BURST = 12;

let server: TestServer;
let api: ApiClient;
const rooms: Room[] = [];

beforeAll(async () => {
  server = await startTestServer({
    CHUNK_RATE_LIMIT_PER_SECOND: String(RATE),
    CHUNK_RATE_LIMIT_BURST: String(BURST),
    CHAT_RATE_LIMIT_PER_SECOND: String(RATE),
    CHAT_RATE_LIMIT_BURST: String(BURST),
  });
  api = apiClient(server.baseUrl);
});
afterAll(async () => {
  await leaveAll(rooms);
  await server?.stop();
});

type Payload = Record<string, unknown>;
const fakeCiphertext = () => ({ ciphertext: randomBytes(32).toString("base64"), iv: randomBytes(12).toString("base64"), v: "1.0", type: "text" });

/**
 * A valid message of each type, aimed at something that does not exist or
 * is not the sender's, so it acts (and costs its price) without changing much.
 */
const chunkMessages: Record<keyof typeof DEFAULT_CHUNK_MESSAGE_COSTS, (req: string) => Payload> = {
  bid: (req) => ({ req, listing_id: randomUUID(), amount_bdt: 100 }),
  buy: (req) => ({ req, x: 5, y: 5 }),
  buy_listing: (req) => ({ req, listing_id: randomUUID() }),
  cancel_listing: (req) => ({ req, listing_id: randomUUID() }),
  list: (req) => ({ req, x: 5, y: 5, type: "fixed_price", price_bdt: 100 }),
  fence: (req) => ({ req, x: 5, y: 5, passcode: "1234" }),
  set_message: (req) => ({ req, x: 5, y: 5, text: "hello" }),
};
const chatMessages: Record<keyof typeof DEFAULT_CHAT_MESSAGE_COSTS, (req: string) => Payload> = {
  msg: (req) => ({ req, ...fakeCiphertext() }),
  delete: (req) => ({ req, message_id: randomUUID() }),
};

/** Sends `count` messages at once on a fresh connection and waits for every answer. */
async function burstOf(room: Room, type: string, build: (req: string) => Payload, count: number) {
  const results = resultCollector(room);
  const started = performance.now();
  for (let i = 0; i < count; i++) room.send(type, build(`${type}-${i}`));
  await eventually(() => results.results.length >= count, 20_000);
  const elapsedSeconds = (performance.now() - started) / 1000;
  const limited = results.results.filter((result) => !result.ok && result.error.code === "RATE_LIMITED").length;
  return { results: results.results, limited, admitted: count - limited, elapsedSeconds };
}

/**
 * What a bucket of BURST tokens refilled at RATE may admit, at a price of
 * `cost` each, over `elapsedSeconds`: the burst, plus what was refilled
 * meanwhile (one more for a message decided just as a token came back).
 */
function admissible(cost: number, elapsedSeconds: number) {
  return { atLeast: Math.floor(BURST / cost), atMost: Math.floor((BURST + RATE * elapsedSeconds) / cost) + 1 };
}

/**
 * Sends a burst of 30 messages of one type at once and checks that the
 * budget admitted what a price of `cost` allows and refused the rest; returns
 * how many were admitted and the codes of the answers that were not refusals.
 */
async function burstWithinBudget(room: Room, type: string, build: (req: string) => Payload, cost: number) {
  const { results, limited, admitted, elapsedSeconds } = await burstOf(room, type, build, 30);
  const bounds = admissible(cost, elapsedSeconds);
  expect(limited).toBeGreaterThan(0);
  expect(admitted).toBeGreaterThanOrEqual(bounds.atLeast);
  expect(admitted).toBeLessThanOrEqual(bounds.atMost);
  const otherCodes = new Set(results.filter((r) => r.ok || r.error.code !== "RATE_LIMITED").map((r) => (r.ok ? "OK" : r.error.code)));
  return { admitted, otherCodes };
}

describe("every chunk-room message type has a limit", () => {
  const cases = [
    ...Object.entries(DEFAULT_CHUNK_MESSAGE_COSTS).map(([type, cost]) => ({ type, cost, build: chunkMessages[type as keyof typeof chunkMessages] })),
    { type: "no_such_type", cost: UNPARSED_MESSAGE_COST, build: (req: string) => ({ req }) },
  ];
  for (const { type, cost, build } of cases) {
    it(`"${type}" costs ${cost} of the user's ${BURST}-token budget: about ${Math.floor(BURST / cost)} at once, then RATE_LIMITED`, async () => {
      const user = await registerUser(api);
      const room = await sdkClient(server.wsUrl, user.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
      rooms.push(room);
      const { otherCodes } = await burstWithinBudget(room, type, build, cost);
      // The admitted ones reached their action (or, for garbage, validation).
      if (type === "no_such_type") expect([...otherCodes]).toEqual(["INVALID_INPUT"]);
      else expect(otherCodes.has("INVALID_INPUT")).toBe(false);
      expect(room.connection.isOpen).toBe(true); // a burst is not a flood
    });
  }
});

describe("every land chat message type has a limit", () => {
  let landId: string;
  beforeAll(async () => {
    const admin = await registerAdmin(server, api);
    const owner = await registerUser(api, "owner");
    await fund(api, admin.token, owner.userId, 100_000);
    const chunk = await sdkClient(server.wsUrl, owner.token).joinOrCreate("chunk", { cx: 1, cy: 1 });
    expect(await resultCollector(chunk).send("buy", { req: "land", x: 40, y: 40 }, 20_000)).toMatchObject({ ok: true });
    await chunk.leave();
    landId = (await server.db.query("SELECT land_id FROM lands WHERE x = 40 AND y = 40")).rows[0].land_id;
  });

  const cases = [
    ...Object.entries(DEFAULT_CHAT_MESSAGE_COSTS).map(([type, cost]) => ({ type, cost, build: chatMessages[type as keyof typeof chatMessages] })),
    { type: "shout", cost: UNPARSED_MESSAGE_COST, build: (req: string) => ({ req, ...fakeCiphertext() }) },
  ];
  for (const { type, cost, build } of cases) {
    it(`"${type}" costs ${cost} of the user's ${BURST}-token budget: about ${Math.floor(BURST / cost)} at once, then RATE_LIMITED`, async () => {
      const user = await registerUser(api, "chatter");
      const room = await sdkClient(server.wsUrl, user.token).joinOrCreate("land_chat", { land_id: landId });
      rooms.push(room);
      room.onMessage("msg", () => undefined); // broadcasts of what was admitted; counted in the database below
      const { admitted, otherCodes } = await burstWithinBudget(room, type, build, cost);
      const expected = { msg: ["OK"], delete: ["NOT_FOUND"], shout: ["INVALID_INPUT"] }[type]!;
      expect([...otherCodes]).toEqual(expected);
      if (type === "msg") {
        const stored = await server.db.query("SELECT count(*)::int AS n FROM messages WHERE sender_id = $1", [user.userId]);
        expect(stored.rows[0].n).toBe(admitted); // a refused message is not stored
      }
      expect(room.connection.isOpen).toBe(true);
    });
  }
});

describe("a flooding client beside 100 well-behaved ones", () => {
  it("is disconnected with 4429, while all 100 in the same chunk room get a business answer to every message and stay connected", async () => {
    const polite = await inBatches(100, 10, () => registerUser(api, "polite"));
    const members = await inBatches(polite.length, 20, async (index) => {
      const user = polite[index]!;
      const room = await sdkClient(server.wsUrl, user.token).joinOrCreate("chunk", { cx: 2, cy: 2 });
      rooms.push(room);
      const member = { room, results: resultCollector(room), closedWith: undefined as number | undefined, latencies: [] as Array<{ at: number; ms: number }> };
      room.onLeave((code: number) => (member.closedWith = code));
      return member;
    });
    const flooderUser = await registerUser(api, "flooder");
    const flooder = await sdkClient(server.wsUrl, flooderUser.token).joinOrCreate("chunk", { cx: 2, cy: 2 });
    rooms.push(flooder);
    const flooderClosed = new Promise<number>((resolve) => flooder.onLeave((code: number) => resolve(code)));

    // Polite: one message every ~1.2 s, a mix of types that costs ~2.5 tokens a second of the 4 refilled.
    const politeTypes = ["bid", "fence", "set_message", "bid", "cancel_listing", "list", "buy_listing", "bid"] as const;
    const politeMessage = (type: (typeof politeTypes)[number], req: string): Payload =>
      type === "fence" || type === "set_message" || type === "list"
        ? { ...chunkMessages[type](req), x: 70, y: 70 } // in chunk (2, 2), owned by no one: NOT_OWNER
        : chunkMessages[type](req);
    const testStarted = performance.now();
    let floodStartedAt = Number.POSITIVE_INFINITY;
    // The flood starts once every polite client is under way: bids as fast as the socket takes them.
    const flooding = (async () => {
      await sleep(3_000);
      floodStartedAt = performance.now() - testStarted;
      for (let i = 0; i < 400 && flooder.connection.isOpen; i++) flooder.send("bid", chunkMessages.bid(`flood-${i}`));
    })();
    const answers = await Promise.all(
      members.map(async (member, index) => {
        await sleep((index * 1_200) / members.length); // spread over one period
        const outcomes: ResultMessage[] = [];
        for (const [round, type] of politeTypes.entries()) {
          const sentAt = performance.now();
          outcomes.push(await member.results.send(type, politeMessage(type, `p${index}-${round}`), 20_000));
          member.latencies.push({ at: sentAt - testStarted, ms: performance.now() - sentAt });
          await sleep(Math.max(0, 1_200 - (performance.now() - sentAt)));
        }
        return outcomes;
      }),
    ).then((all) => all.flat());
    await flooding;
    expect(await flooderClosed).toBe(4429);

    expect(answers).toHaveLength(100 * politeTypes.length);
    const codes = new Set<string>(answers.map((answer) => (answer.ok ? "OK" : answer.error.code)));
    for (const refused of ["RATE_LIMITED", "INVALID_INPUT", "INTERNAL", "UNAVAILABLE"]) expect(codes.has(refused), [...codes].join()).toBe(false);
    expect(members.filter((member) => member.closedWith !== undefined)).toEqual([]);
    expect(members.every((member) => member.room.connection.isOpen)).toBe(true);

    // A benchmark-like comparison, printed and not asserted (the machine is shared and noisy).
    const latencies = members.flatMap((member) => member.latencies);
    const before = latencies.filter((l) => l.at < floodStartedAt).map((l) => l.ms);
    const during = latencies.filter((l) => l.at >= floodStartedAt && l.at < floodStartedAt + 3_000).map((l) => l.ms);
    console.info(
      `polite clients' round trips: before the flood p50 ${percentile(before, 50)} ms p95 ${percentile(before, 95)} ms (n=${before.length}); ` +
        `during the flood's first 3 s p50 ${percentile(during, 50)} ms p95 ${percentile(during, 95)} ms (n=${during.length})`,
    );

  }, 120_000);
});

describe("two server processes sharing Redis", () => {
  // One token every 5 s, four at once: a budget spent through one process cannot refill before the other is asked.
  const environment = testEnvironment({ CHUNK_RATE_LIMIT_PER_SECOND: "0.2", CHUNK_RATE_LIMIT_BURST: "4" });
  const processes: Spawned[] = [];
  const clusterRooms: Room[] = [];
  let ports: number[] = [];
  let db: pg.Pool;

  beforeAll(async () => {
    ports = [await freePort(), await freePort()];
    for (const port of ports) {
      // One after the other: the first creates and migrates the database.
      processes.push(spawnEntry("src/main.ts", { ...environment.env, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` }));
      await waitForHttpOk(`http://127.0.0.1:${port}/health`, 30_000);
    }
    db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  }, 90_000);
  afterAll(async () => {
    await leaveAll(clusterRooms);
    for (const run of processes) run.child.kill("SIGTERM");
    await Promise.all(processes.map((run) => run.exited));
    await db?.end();
    await forgetTestEnvironment(environment);
  });

  /** Joins chunk rooms until it has one hosted by each process; returns them by the port of their host. */
  async function roomOnEachProcess(token: string): Promise<Map<number, Room>> {
    const byHost = new Map<number, Room>();
    for (let cx = 0; cx < 12 && byHost.size < 2; cx++) {
      let host = 0;
      const client = new Client(`ws://127.0.0.1:${ports[cx % 2]}`, {
        urlBuilder: (url) => {
          host = Number(url.port);
          return url.toString();
        },
      });
      client.auth.token = token;
      const room = await client.joinOrCreate("chunk", { cx, cy: 0 });
      clusterRooms.push(room);
      if (!byHost.has(host)) byHost.set(host, room);
    }
    expect([...byHost.keys()].sort()).toEqual([...ports].sort());
    return byHost;
  }

  it("a user who spends the budget in a room on one process is RATE_LIMITED in a room on the other", async () => {
    const clusterApi = apiClient(`http://127.0.0.1:${ports[0]}`);
    const spender = await registerUser(clusterApi);
    const rooms = await roomOnEachProcess(spender.token);
    const [first, second] = ports.map((port) => rooms.get(port)!);

    const spent = await burstOf(first!, "bid", chunkMessages.bid, 4);
    expect(spent.limited).toBe(0);
    const elsewhere = await burstOf(second!, "bid", chunkMessages.bid, 3);
    // At most one token can have come back meanwhile (one per 5 s).
    expect(elsewhere.limited).toBeGreaterThanOrEqual(2);

    // The second process is not simply refusing: another user's budget there is whole.
    const other = await registerUser(clusterApi);
    const otherRoom = (await roomOnEachProcess(other.token)).get(ports[1]!)!;
    expect((await burstOf(otherRoom, "bid", chunkMessages.bid, 4)).limited).toBe(0);
  }, 60_000);
});

describe("settings", () => {
  it("price every type by default, take overrides for some types, and refuse an unknown type, a zero cost or one above the burst", () => {
    expect(loadConfig({}).chunkRateLimit.costs).toEqual(DEFAULT_CHUNK_MESSAGE_COSTS);
    expect(loadConfig({}).chatRateLimit.costs).toEqual(DEFAULT_CHAT_MESSAGE_COSTS);
    const tuned = loadConfig({ CHUNK_RATE_LIMIT_COSTS: "list=8, bid=2", CHAT_RATE_LIMIT_COSTS: "delete=5" });
    expect(tuned.chunkRateLimit.costs).toEqual({ ...DEFAULT_CHUNK_MESSAGE_COSTS, list: 8, bid: 2 });
    expect(tuned.chatRateLimit.costs).toEqual({ ...DEFAULT_CHAT_MESSAGE_COSTS, delete: 5 });
    for (const env of [
      { CHUNK_RATE_LIMIT_COSTS: "auction=2" },
      { CHUNK_RATE_LIMIT_COSTS: "bid=0" },
      { CHUNK_RATE_LIMIT_COSTS: "bid" },
      { CHAT_RATE_LIMIT_COSTS: "msg=1.5" },
      { CHUNK_RATE_LIMIT_COSTS: "list=41" }, // the default burst is 40
      { CHAT_RATE_LIMIT_BURST: "3", CHAT_RATE_LIMIT_COSTS: "msg=4" },
    ]) {
      const name = Object.keys(env).find((key) => key.endsWith("_COSTS"))!;
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    }
  });

  it("take a connection for a flooder only beyond three times what its budget admits in 3 s, never for spending its burst", () => {
    // The defaults keep the documented thresholds: 180 chunk messages, 90 chat messages within 3 s.
    expect(FloodDetector.forLimit({ ratePerSecond: 20, burst: 40 }).threshold).toBe(180);
    expect(FloodDetector.forLimit({ ratePerSecond: 10, burst: 20 }).threshold).toBe(90);
    // A slow refill with a large burst: three bursts, not three times the refill.
    const detector = FloodDetector.forLimit({ ratePerSecond: 0.5, burst: 30 });
    for (let i = 0; i < 90; i++) expect(detector.record(1_000)).toBe(false);
    expect(detector.record(1_001)).toBe(true);
  });
});

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function inBatches<T>(count: number, concurrency: number, make: (index: number) => Promise<T>): Promise<T[]> {
  const made: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        made[index] = await make(index);
      }
    }),
  );
  return made;
}

function percentile(values: number[], p: number): string {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
}
