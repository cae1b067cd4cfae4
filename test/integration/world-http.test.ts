import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { leaveAll, resultCollector, sdkClient } from "../helpers/room-client.js";
import {
  BIOMES,
  ELEVATION_QUANTUM,
  biomePrices,
  decodeChunkPacked,
  landTerrain,
  type PackedChunk,
  type WorldConfig,
} from "../../src/domain/world/index.js";
import { toWorldConfig, type AdminConfigRow } from "../../src/services/world-config-service.js";

let server: TestServer;
let api: ApiClient;
let admin: { token: string; userId: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
});
afterAll(async () => {
  if (!server) return;
  // Chunk cache entries outlive the test database: remove this run's.
  const redis = server.server.services.redis;
  const keys = await redis.keys(`${server.environment.queuePrefix}:chunk:*`);
  if (keys.length > 0) await redis.del(...keys);
  await server.stop();
});

/** The config in force according to the admin API, as the generator takes it. */
async function configInForce(): Promise<{ row: AdminConfigRow; world: WorldConfig }> {
  const response = await api.get<AdminConfigRow>("/admin/config", admin.token);
  expect(response.status).toBe(200);
  return { row: response.body, world: toWorldConfig(response.body) };
}

async function changeConfig(patch: Record<string, unknown>): Promise<AdminConfigRow> {
  const response = await api.put<AdminConfigRow>("/admin/config", patch, admin.token);
  expect(response.status).toBe(200);
  return response.body;
}

/** Polls an async probe until it gives a value (the chunks row is written after the answer). */
async function eventuallyAsync<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Elevation as the packed format carries it (uint16 steps). */
const quantised = (elevation: number) => Math.round(elevation * ELEVATION_QUANTUM) / ELEVATION_QUANTUM;

describe("GET /world", () => {
  it("shows the config in force, and the new one right after an admin changes it", async () => {
    const { row, world } = await configInForce();
    const response = await api.get("/world");
    expect(response.status).toBe(200);
    const prices = biomePrices(world);
    expect(response.body).toEqual({
      world_seed: row.world_seed,
      world_width: row.world_width,
      world_height: row.world_height,
      chunk_size: 32,
      noise: {
        frequency: row.noise_frequency,
        octaves: row.noise_octaves,
        persistence: row.noise_persistence,
        lacunarity: row.noise_lacunarity,
      },
      biomes: Object.fromEntries(
        BIOMES.map((biome) => [
          biome,
          { percent: world.biomeShares[biome], price_multiplier: world.priceMultipliers[biome], price_bdt: prices[biome] },
        ]),
      ),
      pricing: { base_land_price_bdt: row.base_land_price_bdt, multipliers: world.priceMultipliers },
      transaction_fee_percent: row.transaction_fee_percent,
      config_version: row.version,
    });
    expect(response.body.biomes.water).toEqual({ percent: 0.2, price_multiplier: 1.2, price_bdt: 1200 });

    const changed = await changeConfig({ base_land_price_bdt: 2000, transaction_fee_percent: 2.5 });
    const after = await api.get("/world");
    expect(after.body).toMatchObject({
      config_version: changed.version,
      transaction_fee_percent: 2.5,
      pricing: { base_land_price_bdt: 2000 },
      biomes: { snow: { price_bdt: 3000 } },
    });
  });
});

describe("GET /world/chunks/:cx/:cy", () => {
  it("answers the packed chunk whose 1,024 lands are the generator's terrain under the config in force", async () => {
    const { row, world } = await configInForce();
    const response = await api.get<PackedChunk & { config_version: number }>("/world/chunks/3/4");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    expect(response.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(response.body).toMatchObject({ format: "vlw-chunk-1", cx: 3, cy: 4, x0: 96, y0: 128, config_version: row.version });

    const lands = decodeChunkPacked(response.body);
    expect(lands).toHaveLength(1024);
    const mismatches = lands.filter((land) => {
      const expected = landTerrain(world, land.x, land.y);
      return (
        land.biome !== expected.biome ||
        land.color_hex !== expected.color_hex ||
        land.price_bdt !== expected.price_bdt ||
        land.elevation !== quantised(expected.elevation)
      );
    });
    expect(mismatches).toEqual([]);
  });

  it("answers 304 without a body to a request that already holds the current ETag", async () => {
    const first = await api.get("/world/chunks/3/4");
    const etag = first.headers.get("etag")!;
    const again = await api.call("GET", "/world/chunks/3/4", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get("etag")).toBe(etag);
    const inList = await api.call("GET", "/world/chunks/3/4", { headers: { "if-none-match": `"other", W/${etag}` } });
    expect(inList.status).toBe(304);
    const stale = await api.call("GET", "/world/chunks/3/4", { headers: { "if-none-match": '"some-other-tag"' } });
    expect(stale.status).toBe(200);
    expect(stale.body.format).toBe("vlw-chunk-1");
  });

  it("generates a chunk once, then serves it from memory, and from Redis once memory is cleared", async () => {
    const counts = async () => {
      const text = (await api.get<string>("/metrics")).body;
      const count = (source: string) =>
        Number(new RegExp(`^vlw_chunk_requests_total\\{source="${source}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
      return { generated: count("generated"), memory: count("memory"), redis: count("redis") };
    };
    const before = await counts();
    const first = await api.get("/world/chunks/5/5");
    const second = await api.get("/world/chunks/5/5");
    server.server.services.terrain.clearMemoryCache();
    const third = await api.get("/world/chunks/5/5");
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(await counts()).toEqual({
      generated: before.generated + 1,
      memory: before.memory + 1,
      redis: before.redis + 1,
    });
  });

  it("serves a new ETag and the new terrain after an admin changes the seed, and records the chunk", async () => {
    const before = await api.get<PackedChunk>("/world/chunks/3/4");
    const oldEtag = before.headers.get("etag")!;
    const changed = await changeConfig({ world_seed: 777 });

    const after = await api.call<PackedChunk & { config_version: number }>("GET", "/world/chunks/3/4", {
      headers: { "if-none-match": oldEtag },
    });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(oldEtag);
    expect(after.body.config_version).toBe(changed.version);
    expect(after.body.elevation).not.toBe(before.body.elevation);
    const world = toWorldConfig(changed);
    const lands = decodeChunkPacked(after.body);
    for (const land of [lands[0]!, lands[517]!, lands[1023]!]) {
      expect(land).toEqual({ ...landTerrain(world, land.x, land.y), elevation: land.elevation });
      expect(land.elevation).toBe(quantised(landTerrain(world, land.x, land.y).elevation));
    }

    const row = await eventuallyAsync(async () => {
      const result = await server.db.query(
        "SELECT chunk_x, chunk_y, config_version, generation_seed, size, size_bytes, storage_type, cached, cache_expires_at FROM chunks WHERE chunk_id = 'chunk_3_4'",
      );
      const found = result.rows[0];
      return found && Number(found.config_version) === changed.version ? found : undefined;
    });
    expect(row).toMatchObject({ chunk_x: 3, chunk_y: 4, size: 32, storage_type: "redis", cached: true });
    expect(Number(row.generation_seed)).toBe(777);
    expect(row.size_bytes).toBe(Buffer.byteLength(JSON.stringify(after.body)));
    expect(row.cache_expires_at.getTime()).toBeGreaterThan(Date.now());
  });

  it.each([
    ["9999/0", 404, "NOT_FOUND"],
    ["0/32", 404, "NOT_FOUND"],
    ["-1/0", 404, "NOT_FOUND"],
    ["abc/1", 400, "INVALID_INPUT"],
    ["1.5/1", 400, "INVALID_INPUT"],
  ])("answers /world/chunks/%s with %i %s in the contract's error shape", async (path, status, code) => {
    const response = await api.get(`/world/chunks/${path}`);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
    // An error must not be cached as if it were the chunk.
    expect(response.headers.get("cache-control")).toBeNull();
  });
});

describe("GET /lands/:x/:y", () => {
  it("shows an unowned land's generated terrain with no owner, fence, message or listing", async () => {
    const { world } = await configInForce();
    const response = await api.get("/lands/100/130");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...landTerrain(world, 100, 130),
      land_id: null,
      owner: null,
      fenced: false,
      public_message: null,
      for_sale: false,
      listing: null,
    });
  });

  it.each([
    ["1024/0", 404, "NOT_FOUND"],
    ["0/-1", 404, "NOT_FOUND"],
    ["x/0", 400, "INVALID_INPUT"],
    ["0/2.5", 400, "INVALID_INPUT"],
  ])("answers /lands/%s with %i %s", async (path, status, code) => {
    const response = await api.get(`/lands/${path}`);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
  });
});

describe("owned land keeps the terrain it was bought with", () => {
  it("after a seed change, GET /lands and the chunk show the stored terrain while unowned neighbours change", async () => {
    const owner = await registerUser(api, "landowner");
    const [x, y] = [200, 300]; // chunk (6, 9)
    const { world: boughtUnder } = await configInForce();
    const bought = landTerrain(boughtUnder, x, y);
    const neighbourBefore = landTerrain(boughtUnder, x + 1, y);

    // Simulates the copy a purchase makes (the purchase flow's own end-to-end
    // test covers buying through the room): the land row holds the terrain
    // generated under the config in force at the time, owned by a real user.
    const inserted = await server.db.query(
      `INSERT INTO lands (owner_id, x, y, biome, elevation, color_hex, price_base_bdt)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING land_id`,
      [owner.userId, x, y, bought.biome, bought.elevation, bought.color_hex, bought.price_bdt],
    );
    const landId = inserted.rows[0].land_id as string;

    const changed = await changeConfig({ world_seed: 4_242_424 });
    const now = toWorldConfig(changed);
    const regenerated = landTerrain(now, x, y);
    // The test is only meaningful if the new seed would have changed this land.
    expect(regenerated.elevation).not.toBe(bought.elevation);

    const land = await api.get(`/lands/${x}/${y}`);
    expect(land.status).toBe(200);
    expect(land.body).toEqual({
      x,
      y,
      biome: bought.biome,
      elevation: bought.elevation,
      color_hex: bought.color_hex,
      price_bdt: biomePrices(now)[bought.biome],
      land_id: landId,
      owner: { user_id: owner.userId, username: owner.username },
      fenced: false,
      public_message: null,
      for_sale: false,
      listing: null,
    });
    expect(JSON.stringify(land.body)).not.toMatch(/passcode/);

    const neighbour = await api.get(`/lands/${x + 1}/${y}`);
    expect(neighbour.body).toMatchObject({ ...landTerrain(now, x + 1, y), owner: null });
    expect(neighbour.body.elevation).not.toBe(neighbourBefore.elevation);

    const chunk = await api.get<PackedChunk>(`/world/chunks/${Math.floor(x / 32)}/${Math.floor(y / 32)}`);
    const lands = decodeChunkPacked(chunk.body);
    const inChunk = lands.find((l) => l.x === x && l.y === y)!;
    expect(inChunk).toEqual({
      x,
      y,
      biome: bought.biome,
      elevation: quantised(bought.elevation),
      color_hex: bought.color_hex,
      price_bdt: biomePrices(now)[bought.biome],
    });
    const neighbourInChunk = lands.find((l) => l.x === x + 1 && l.y === y)!;
    expect(neighbourInChunk.elevation).toBe(quantised(landTerrain(now, x + 1, y).elevation));
  });
});

describe("a purchase racing a config change", () => {
  it("a purchase that read the old version cannot commit after the new version's chunk was built without it", async () => {
    const buyer = await registerUser(api, "racer");
    await server.db.query("UPDATE users SET balance_bdt = 1000000 WHERE user_id = $1", [buyer.userId]);
    const [x, y] = [330, 140]; // chunk (10, 4)
    const { row, world: before } = await configInForce();
    const terrain = landTerrain(before, x, y);

    // The purchase's transaction reads the version in force, as first_sale does, and stays open.
    const purchase = await server.db.connect();
    try {
      await purchase.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      await purchase.query("SELECT version FROM admin_config ORDER BY version DESC LIMIT 1");

      // Meanwhile a new seed comes into force and its chunk is built and cached.
      const changed = await changeConfig({ world_seed: 5_151_515 });
      expect(Number(changed.version)).toBeGreaterThan(Number(row.version));
      const chunk = await api.get<PackedChunk>(`/world/chunks/${Math.floor(x / 32)}/${Math.floor(y / 32)}`);
      expect(chunk.status).toBe(200);

      // Then the purchase decides under the version it read, and must not commit.
      const decided = purchase
        .query("SELECT first_sale($1, 'race-1', $2, $3, $4, $5, $6, $7, $8)", [
          buyer.userId, x, y, terrain.biome, terrain.elevation, terrain.color_hex, terrain.price_bdt, row.version,
        ])
        .then(() => purchase.query("COMMIT"));
      await expect(decided).rejects.toMatchObject({ code: "40001" });
    } finally {
      await purchase.query("ROLLBACK").catch(() => undefined);
      purchase.release();
    }
    expect((await server.db.query("SELECT count(*)::int AS n FROM lands WHERE x = $1 AND y = $2", [x, y])).rows[0].n).toBe(0);
  });
});

describe("GET /me/lands", () => {
  it("lists the caller's lands newest first, page by page, each as GET /lands/:x/:y shows it", async () => {
    const owner = await registerUser(api, "landlord");
    const neighbour = await registerUser(api, "neighbour");
    for (const user of [owner, neighbour]) await fund(api, admin.token, user.userId, 1_000_000);
    const ownerRoom = await sdkClient(server.wsUrl, owner.token).joinOrCreate("chunk", { cx: 12, cy: 12 });
    const neighbourRoom = await sdkClient(server.wsUrl, neighbour.token).joinOrCreate("chunk", { cx: 12, cy: 12 });
    try {
      const buys = resultCollector(ownerRoom);
      const bought: Array<[number, number]> = [[390, 390], [391, 390], [392, 390]];
      for (const [x, y] of bought) expect((await buys.send("buy", { req: `mine-${x}`, x, y }, 20_000)).ok).toBe(true);
      expect((await buys.send("set_message", { req: "sign", x: 391, y: 390, text: "home" })).ok).toBe(true);
      expect((await resultCollector(neighbourRoom).send("buy", { req: "theirs", x: 393, y: 390 }, 20_000)).ok).toBe(true);

      const first = await api.get<{ lands: Array<Record<string, unknown>>; next_cursor: string | null }>("/me/lands?limit=2", owner.token);
      expect(first.status).toBe(200);
      expect(first.headers.get("cache-control")).toBe("private, no-store");
      expect(first.body.lands.map((land) => [land.x, land.y])).toEqual([[392, 390], [391, 390]]);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await api.get<{ lands: Array<Record<string, unknown>>; next_cursor: string | null }>(
        `/me/lands?limit=2&cursor=${first.body.next_cursor}`,
        owner.token,
      );
      expect(second.body.lands.map((land) => [land.x, land.y])).toEqual([[390, 390]]);
      expect(second.body.next_cursor).toBeNull();
      for (const land of [...first.body.lands, ...second.body.lands]) {
        expect(land).toEqual((await api.get(`/lands/${land.x}/${land.y}`)).body);
      }
      expect(first.body.lands[1]).toMatchObject({ public_message: "home", owner: { user_id: owner.userId } });
    } finally {
      await leaveAll([ownerRoom, neighbourRoom]);
    }
  });

  it("needs a token, and answers a bad cursor or limit with INVALID_INPUT", async () => {
    const user = await registerUser(api, "nolands");
    expect((await api.get("/me/lands")).status).toBe(401);
    expect((await api.get("/me/lands", user.token)).body).toEqual({ lands: [], next_cursor: null });
    for (const query of ["cursor=not-a-cursor", "limit=0", "limit=1000", "limit=2.5", "colour=red"]) {
      const response = await api.get(`/me/lands?${query}`, user.token);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe("INVALID_INPUT");
    }
  });
});

