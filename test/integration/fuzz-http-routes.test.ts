import http from "node:http";
import querystring from "node:querystring";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser } from "../helpers/http-client.js";
import { registerAdmin } from "../helpers/accounts.js";
import { forcedGc, settledHeap } from "../helpers/fuzz-support.js";
import { ErrorCode, HTTP_STATUS_BY_CODE } from "../../src/protocol/error-codes.js";
import {
  adminConfigPatch,
  auditQuery,
  creditBody,
  listingIdParams,
  listingsQuery,
  loginBody,
  pageQuery,
  registerBody,
} from "../../src/protocol/http-schemas.js";
import { chatHistoryQuery, landIdSchema, passcodeGuessSchema } from "../../src/protocol/room-messages.js";

/**
 * Every HTTP route, fed 10,000 generated bad requests: garbage bodies, query
 * strings, path segments and headers, sent with no token, a broken one, a
 * player's and an admin's (so validation behind the auth check is reached).
 * Each must get one 4xx answer in the contract's error shape, with no row and
 * no rate-limit or passcode counter changed, the process still serving, and
 * its heap back where it was.
 */

let server: TestServer;
let playerToken: string;
let adminToken: string;
let world: { width: number; height: number; chunksAcross: number; chunksDown: number };
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

beforeAll(async () => {
  server = await startTestServer();
  const api = apiClient(server.baseUrl);
  adminToken = (await registerAdmin(server, api)).token;
  playerToken = (await registerUser(api)).token;
  const summary = (await api.get("/world")).body;
  world = {
    width: summary.world_width,
    height: summary.world_height,
    chunksAcross: Math.ceil(summary.world_width / summary.chunk_size),
    chunksDown: Math.ceil(summary.world_height / summary.chunk_size),
  };
});
afterAll(async () => {
  agent.destroy();
  await server?.stop();
});

// ---------------------------------------------------------------------------
// Garbage of every shape.

const shortText = fc.string({ maxLength: 40 });
const hostileText = fc.oneof(
  shortText,
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ minLength: 500, maxLength: 3_000 }),
  fc.constantFrom("__proto__", "constructor", "prototype", "NaN", "Infinity", "-1", "1e309", "0x10", "-0", "", " ", "null", "[]", "{}"),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
);

const nasty = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    hostileText,
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 64, -0, Number.MAX_SAFE_INTEGER + 2, 1e308),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(shortText, fc.constantFrom("__proto__", "constructor", "prototype")), tie("value"), { maxKeys: 5 }),
  ),
})).value;

const deeplyNested = fc.integer({ min: 50, max: 2_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth));

/** A JSON-ish body aimed at a schema: its own field names with hostile values, sometimes an extra or `__proto__` key. */
function bodyFor(fields: readonly string[]) {
  const aimed = fc
    .tuple(
      fc.dictionary(fc.constantFrom(...fields), nasty, { maxKeys: fields.length }),
      fc.option(fc.dictionary(fc.constantFrom("__proto__", "constructor", "extra", "role", "balance_bdt"), nasty, { minKeys: 1, maxKeys: 2 })),
    )
    .map(([aimedPart, extra]) => JSON.stringify({ ...aimedPart, ...extra }));
  return fc.oneof(
    { weight: 5, arbitrary: aimed },
    { weight: 2, arbitrary: nasty.map((value) => JSON.stringify(value) ?? "null") },
    { weight: 1, arbitrary: deeplyNested },
    // `{"__proto__": …}` written literally, which JSON.stringify of an object never produces.
    { weight: 1, arbitrary: nasty.map((value) => `{"__proto__": ${JSON.stringify(value) ?? "null"}, "constructor": {"prototype": {"admin": true}}}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }, // not JSON
    { weight: 1, arbitrary: fc.constantFrom("", "{", '{"a":', "[1,2", "nul", "\u0000", '{"a":1}{"b":2}', "NaN", "Infinity", "'single'") },
  );
}

/** A body beyond HTTP_BODY_LIMIT_BYTES (16 KiB): 413. */
const oversizedBody = fc.integer({ min: 17 * 1024, max: 64 * 1024 }).map((size) => JSON.stringify({ padding: "x".repeat(size) }));
const binaryBody = fc.uint8Array({ minLength: 1, maxLength: 2_000 }).map((bytes) => Buffer.from(bytes));

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-16",
      "application/json; charset=klingon",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "application/*+json",
      "",
    ),
  },
);
/** Sometimes a Content-Encoding the body does not have, or one no one supports. */
const contentEncoding = fc.option(fc.constantFrom("gzip", "deflate", "br", "identity", "x-klingon"), { freq: 8 });

/** A path segment: hostile text percent-encoded, or raw and malformed escapes. */
const segment = fc.oneof(
  // Never empty: `/listings/` is `/listings`, another route.
  { weight: 6, arbitrary: hostileText.map((text) => encodeURIComponent(text.slice(0, 300)) || "%20") },
  { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%E0%A4%A", "%C0%AF", "%00", "%2F..%2F", "..", "%2e%2e", "%FF%FE", "%u0041") },
  { weight: 2, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
  { weight: 1, arbitrary: fc.uuid().map((id) => (Math.random() < 0.5 ? id.toUpperCase() : id)) },
);

/** A query string: the schema's names and some others, hostile values, repeated keys, raw malformed escapes. */
function queryFor(fields: readonly string[]) {
  const key = fc.oneof(fc.constantFrom(...fields), fc.constantFrom("__proto__", "constructor", "hasOwnProperty", "limit[]", "x"), shortText);
  const value = fc.oneof(hostileText, fc.integer().map(String), fc.uuid(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
    // Values are cut so that the request line stays under Node's 16 KiB header limit.
  const pair = fc.tuple(key, value).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.slice(0, 100))}`);
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 6 }).map((pairs) => pairs.join("&")) },
    { weight: 1, arbitrary: fc.constantFrom("%", "limit=%zz", "&&&", "=", "cursor=%E0%A4%A", "limit=1&limit=2", "a[b][c]=1") },
  );
}

const garbageToken = fc.oneof(
  fc.constantFrom("", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "bearer x", "Bearer eyJhbGciOiJub25lIn0.e30."),
  fc.string({ maxLength: 300 }).map((text) => `Bearer ${text.replace(/[^\x20-\x7e]/g, "")}`),
);

// ---------------------------------------------------------------------------
// The routes. Each generates requests and knows which of them its contract
// would accept: those are left out, since a valid request rightly acts.

/** A request to send; headers named `x-fuzz-*` record how it was made and are not sent. */
interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

type Auth = "none" | "garbage" | "player" | "admin";
const authFor = (weights: Partial<Record<Auth, number>>) =>
  fc.oneof(...Object.entries(weights).map(([auth, weight]) => ({ weight: weight!, arbitrary: fc.constant(auth as Auth) })));

function authorization(auth: Auth, garbage: string): Record<string, string> {
  if (auth === "player") return { authorization: `Bearer ${playerToken}` };
  if (auth === "admin") return { authorization: `Bearer ${adminToken}` };
  if (auth === "garbage") return { authorization: garbage };
  return {};
}

const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;
/** What express' "simple" query parser (node:querystring) hands the route. */
const parsedQuery = (query: string) => querystring.parse(query);

interface RouteFuzzer {
  name: string;
  generate: fc.Arbitrary<FuzzRequest>;
  /** True when the contract would accept the request (it is then not sent). */
  valid(request: FuzzRequest): boolean;
}

/**
 * A route taking a JSON body; `requires` is the token it needs (a request
 * with another one is refused before its body is read, valid or not).
 */
function jsonBodyRoute(
  name: string,
  method: string,
  path: string,
  fields: readonly string[],
  schema: z.ZodType,
  auth: fc.Arbitrary<Auth>,
  requires?: Auth,
): RouteFuzzer {
  return {
    name,
    generate: fc
      .record({
        auth,
        garbage: garbageToken,
        body: fc.oneof({ weight: 12, arbitrary: bodyFor(fields) }, { weight: 1, arbitrary: oversizedBody }, { weight: 1, arbitrary: binaryBody }),
        contentType,
        contentEncoding,
      })
      .map(({ auth, garbage, body, contentType: type, contentEncoding: encoding }) => ({
        route: name,
        method,
        path,
        headers: {
          ...authorization(auth, garbage),
          ...(type ? { "content-type": type } : {}),
          ...(encoding ? { "content-encoding": encoding } : {}),
          "x-fuzz-auth": auth,
        },
        body,
      })),
    valid(request) {
      if (requires !== undefined && request.headers["x-fuzz-auth"] !== requires) return false;
      if (request.headers["content-encoding"] && request.headers["content-encoding"] !== "identity") return false;
      if (request.headers["content-type"] !== "application/json") return false;
      try {
        return accepts(schema, JSON.parse(String(request.body)));
      } catch {
        return false;
      }
    },
  };
}

function queryRoute(
  name: string,
  pathFor: (segments: string[]) => string,
  segmentCount: number,
  fields: readonly string[],
  auth: fc.Arbitrary<Auth>,
  validParts: (segments: string[], query: Record<string, unknown>, auth: Auth, headers: Record<string, string>) => boolean,
  extraHeaders: fc.Arbitrary<Record<string, string>> = fc.constant({}),
): RouteFuzzer {
  return {
    name,
    generate: fc
      .record({
        auth,
        garbage: garbageToken,
        segments: fc.array(segment, { minLength: segmentCount, maxLength: segmentCount }),
        query: fc.option(queryFor(fields), { freq: 6 }),
        extra: extraHeaders,
      })
      .map(({ auth, garbage, segments, query, extra }) => ({
        route: name,
        method: "GET",
        path: `${pathFor(segments)}${query === null ? "" : `?${query}`}`,
        headers: { ...authorization(auth, garbage), ...extra, "x-fuzz-auth": auth, "x-fuzz-segments": JSON.stringify(segments) },
      })),
    valid(request) {
      const auth = request.headers["x-fuzz-auth"] as Auth;
      const segments = (JSON.parse(request.headers["x-fuzz-segments"]!) as string[]).map((part) => safeDecode(part));
      if (segments.some((part) => part === undefined)) return false;
      const queryText = request.path.includes("?") ? request.path.slice(request.path.indexOf("?") + 1) : "";
      return validParts(segments as string[], parsedQuery(queryText), auth, request.headers);
    },
  };
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

const isIndexWithin = (text: string, size: number) => /^-?\d+$/.test(text) && Number(text) >= 0 && Number(text) < size;
const tokenAccepted = (auth: Auth, allowed: Auth[]) => allowed.includes(auth);

function routes(): RouteFuzzer[] {
  const anyone = authFor({ none: 6, garbage: 1, player: 1 });
  const players = authFor({ player: 8, none: 1, garbage: 1 });
  const admins = authFor({ admin: 8, player: 1, none: 1, garbage: 1 });
  const registerFields = Object.keys(registerBody.shape);
  const loginFields = Object.keys(loginBody.shape);
  const configFields = [
    "world_seed", "world_width", "world_height", "noise_frequency", "noise_octaves", "noise_persistence", "noise_lacunarity",
    "biome_forest_percent", "biome_water_percent", "base_land_price_bdt", "forest_multiplier", "transaction_fee_percent",
  ];
  const creditFields = Object.keys(creditBody.shape);
  return [
    jsonBodyRoute("POST /auth/register", "POST", "/auth/register", registerFields, registerBody, anyone),
    jsonBodyRoute("POST /auth/login", "POST", "/auth/login", loginFields, loginBody, anyone),
    jsonBodyRoute("PUT /admin/config", "PUT", "/admin/config", configFields, adminConfigPatch, admins, "admin"),
    {
      name: "POST /admin/users/:user_id/credit",
      generate: fc
        .record({ user: fc.oneof(segment, fc.uuid()), inner: jsonBodyRoute("", "POST", "", creditFields, creditBody, admins, "admin").generate })
        .map(({ user, inner }) => ({ ...inner, route: "POST /admin/users/:user_id/credit", path: `/admin/users/${user}/credit`, headers: { ...inner.headers, "x-fuzz-user": user } })),
      valid(request) {
        const userId = safeDecode(request.headers["x-fuzz-user"]!);
        if (userId === undefined || !accepts(listingIdParams, { listing_id: userId })) return false;
        return jsonBodyRoute("", "POST", "", creditFields, creditBody, admins, "admin").valid(request);
      },
    },
    queryRoute("GET /admin/audit", () => "/admin/audit", 0, Object.keys(auditQuery.shape), admins, (_s, query, auth) => auth === "admin" && accepts(auditQuery, query)),
    queryRoute("GET /admin/config", () => "/admin/config", 0, ["world_seed"], authFor({ player: 3, none: 1, garbage: 1 }), () => false),
    queryRoute("GET /me", () => "/me", 0, ["x"], authFor({ none: 1, garbage: 3 }), () => false),
    queryRoute(
      "GET /world/chunks/:cx/:cy",
      ([cx, cy]) => `/world/chunks/${cx}/${cy}`,
      2,
      ["x"],
      anyone,
      ([cx, cy]) => isIndexWithin(cx!, world.chunksAcross) && isIndexWithin(cy!, world.chunksDown),
    ),
    queryRoute(
      "GET /lands/:x/:y",
      ([x, y]) => `/lands/${x}/${y}`,
      2,
      ["x"],
      anyone,
      ([x, y]) => isIndexWithin(x!, world.width) && isIndexWithin(y!, world.height),
    ),
    queryRoute(
      "GET /listings",
      () => "/listings",
      0,
      ["status", "type", "cx", "cy", "seller_id", "limit", "cursor"],
      anyone,
      (_s, query) => accepts(listingsQuery, query),
    ),
    queryRoute(
      "GET /listings/:listing_id",
      ([id]) => `/listings/${id}`,
      1,
      ["x"],
      anyone,
      // A well-formed id of no listing is a 404, and an error answer like any other.
      () => false,
    ),
    queryRoute("GET /me/transactions", () => "/me/transactions", 0, ["limit", "cursor"], players, (_s, query, auth) => auth === "player" && accepts(pageQuery, query)),
    queryRoute("GET /me/notifications", () => "/me/notifications", 0, ["limit", "cursor"], players, (_s, query, auth) => auth === "player" && accepts(pageQuery, query)),
    queryRoute("GET /me/lands", () => "/me/lands", 0, ["limit", "cursor"], players, (_s, query, auth) => auth === "player" && accepts(pageQuery, query)),
    queryRoute(
      "GET /lands/:land_id/messages",
      ([landId]) => `/lands/${landId}/messages`,
      1,
      ["before", "limit"],
      players,
      // No land is owned here, so a well-formed request would be a 404; only
      // requests refused before the land is looked up are sent, so that no
      // passcode attempt is counted.
      ([landId], query, auth, headers) =>
        tokenAccepted(auth, ["player"]) &&
        accepts(landIdSchema, landId) &&
        accepts(chatHistoryQuery, query) &&
        (headers["x-land-passcode"] === undefined || accepts(passcodeGuessSchema, headers["x-land-passcode"])),
      fc
        .option(fc.string({ maxLength: 120 }).map((text) => text.replace(/[^\x20-\x7e]/g, "") || "1234"), { freq: 2 })
        .map((passcode): Record<string, string> => (passcode === null ? {} : { "x-land-passcode": passcode })),
    ),
    // Methods no route has, on every path, with garbage bodies: the catch-all 404.
    {
      name: "wrong method",
      generate: fc
        .record({
          method: fc.constantFrom("POST", "PUT", "PATCH", "DELETE"),
          path: fc.constantFrom("/health", "/metrics", "/world", "/me", "/listings", "/admin/audit", "/world/chunks/0/0", "/lands/1/1", "/me/transactions"),
          body: bodyFor(["x"]),
          auth: admins,
          garbage: garbageToken,
        })
        .map(({ method, path, body, auth, garbage }) => ({
          route: "wrong method",
          method,
          path,
          headers: { ...authorization(auth, garbage), "content-type": "application/json", "x-fuzz-auth": auth },
          body,
        })),
      valid: () => false,
    },
    // Paths no route has (OPTIONS is left out: any path answers a CORS preflight, see origins.test.ts).
    {
      name: "unknown path",
      generate: fc
        .record({ parts: fc.array(segment, { minLength: 1, maxLength: 5 }), method: fc.constantFrom("GET", "POST", "HEAD", "DELETE") })
        .map(({ parts, method }) => ({ route: "unknown path", method, path: `/zz/${parts.join("/")}`, headers: { "x-fuzz-auth": "none" } })),
      valid: () => false,
    },
  ];
}

// ---------------------------------------------------------------------------

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

function send(request: FuzzRequest): Promise<Answer> {
  const { "x-fuzz-auth": _a, "x-fuzz-segments": _s, "x-fuzz-user": _u, ...headers } = request.headers;
  // Always framed by length: Node sends a DELETE's body unframed otherwise, which the server reads as the next request.
  if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { agent, host: "127.0.0.1", port: server.port, method: request.method, path: request.path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode!, contentType: response.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.body);
  });
}

/** The contract's error answer: a 4xx, `{error: {code, message}}`, the code's own status (413 for an oversized body). */
function contractProblem(request: FuzzRequest, answer: Answer): string | undefined {
  const where = `${request.method} ${request.path.slice(0, 120)} -> ${answer.status} ${answer.body.slice(0, 200)}`;
  if (answer.status < 400 || answer.status >= 500) return `not a 4xx: ${where}`;
  if (request.method === "HEAD") return answer.body === "" ? undefined : `HEAD with a body: ${where}`;
  if (!answer.contentType?.startsWith("application/json")) return `not JSON: ${where}`;
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    return `unparsable body: ${where}`;
  }
  const code = parsed.error?.code;
  if (typeof code !== "string" || !Object.hasOwn(ErrorCode, code)) return `no contract code: ${where}`;
  if (typeof parsed.error?.message !== "string") return `no message: ${where}`;
  const expectedStatus = answer.status === 413 && code === "INVALID_INPUT" ? 413 : HTTP_STATUS_BY_CODE[code as ErrorCode];
  if (expectedStatus !== answer.status) return `status ${answer.status} for ${code}: ${where}`;
  return undefined;
}

/** Every table's row count and a checksum of its rows. */
async function databaseSnapshot(): Promise<Record<string, string>> {
  const tables = await server.db.query<{ name: string }>(
    "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  );
  const snapshot: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const row = await server.db.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM ${name} t`);
    snapshot[name] = `${row.rows[0].n}:${row.rows[0].sum}`;
  }
  return snapshot;
}

/** Rate-limit counters and chat passcode attempts, with their values (queues and presence change by themselves). */
async function counterSnapshot(): Promise<Record<string, string | null>> {
  const redis = server.server.services.redis;
  const prefix = server.environment.queuePrefix;
  const keys = [...(await redis.keys(`${prefix}:rl:*`)), ...(await redis.keys(`${prefix}:chat:*`))].sort();
  const snapshot: Record<string, string | null> = {};
  for (const key of keys) snapshot[key] = (await redis.type(key)) === "string" ? await redis.get(key) : await redis.type(key);
  return snapshot;
}

async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe("fuzzing the HTTP routes", () => {
  it("answers 10,000 generated bad requests to every route with one 4xx in the contract's shape, changes nothing and stays up", async () => {
    const fuzzers = routes();
    const requests: FuzzRequest[] = [];
    for (const [index, fuzzer] of fuzzers.entries()) {
      const samples = fc.sample(fuzzer.generate, { numRuns: 1_500, seed: 20261126 + index });
      requests.push(...samples.filter((request) => !fuzzer.valid(request)).slice(0, 640));
    }
    expect(requests.length).toBeGreaterThanOrEqual(10_000);
    const perRoute = new Map<string, number>();
    for (const request of requests) perRoute.set(request.route, (perRoute.get(request.route) ?? 0) + 1);
    for (const fuzzer of fuzzers) expect(perRoute.get(fuzzer.name), fuzzer.name).toBeGreaterThanOrEqual(300);
    console.info(`requests per route: ${JSON.stringify(Object.fromEntries(perRoute))}`);

    const gc = forcedGc();
    // Warm up (lazy modules, connection pool, JIT) so the heap is measured at rest.
    await inParallel(requests.slice(0, 300), 16, async (request) => void (await send(request)));
    const before = await databaseSnapshot();
    const countersBefore = await counterSnapshot();
    const heapBefore = await settledHeap(gc);

    const problems: string[] = [];
    const statuses = new Map<number, number>();
    await inParallel(requests, 16, async (request) => {
      const answer = await send(request).catch((error: Error) => ({ status: 0, contentType: undefined, body: `transport error ${error.message}` }));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const problem = contractProblem(request, answer);
      if (problem && problems.length < 20) {
        const sent = request.body === undefined ? "" : ` with ${JSON.stringify(request.headers)} ${String(request.body).slice(0, 160)}`;
        problems.push(`[${request.route}] ${problem}${sent}`);
      }
    });
    expect(problems).toEqual([]);
    console.info(`fuzzed ${requests.length} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    expect(await databaseSnapshot()).toEqual(before);
    expect(await counterSnapshot()).toEqual(countersBefore);
    // Still serving.
    expect((await send({ route: "health", method: "GET", path: "/health", headers: {} })).status).toBe(200);
    // The garbage is not kept: after a forced collection the heap is back within a few MB of where it was.
    agent.destroy();
    const heapAfter = await settledHeap(gc);
    expect((heapAfter - heapBefore) / 1024 / 1024).toBeLessThan(32);
  }, 180_000);
});
