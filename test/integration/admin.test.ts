import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { registerAdmin } from "../helpers/accounts.js";

let server: TestServer;
let api: ApiClient;
let admin: { token: string; userId: string };
let player: { token: string; userId: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
  player = await registerUser(api);
});
afterAll(async () => server?.stop());

const adminRoutes: Array<[string, string, unknown?]> = [
  ["GET", "/admin/config"],
  ["PUT", "/admin/config", { world_seed: 7 }],
  ["POST", "/admin/users/00000000-0000-4000-8000-000000000099/credit", { amount_bdt: 100, reason: "x" }],
  ["GET", "/admin/audit"],
];

describe("admin routes refuse everyone but admins", () => {
  it.each(adminRoutes)("%s %s answers 401 without a token and 403 FORBIDDEN to a player", async (method, path, body) => {
    const anonymous = await api.call(method, path, { body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHENTICATED");
    const asPlayer = await api.call(method, path, { body, token: player.token });
    expect(asPlayer.status).toBe(403);
    expect(asPlayer.body.error.code).toBe("FORBIDDEN");
  });

  it("a player's refused config change and credit leave no trace", async () => {
    const versions = await server.db.query("SELECT count(*)::int AS n FROM admin_config");
    await api.put("/admin/config", { world_seed: 99 }, player.token);
    await api.post(`/admin/users/${player.userId}/credit`, { amount_bdt: 5000, reason: "self" }, player.token);
    expect((await server.db.query("SELECT count(*)::int AS n FROM admin_config")).rows[0].n).toBe(versions.rows[0].n);
    expect((await api.get("/me", player.token)).body.user.balance_bdt).toBe(0);
  });
});

describe("admin config", () => {
  it("starts from the migration's first row", async () => {
    const response = await api.get("/admin/config", admin.token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      version: 1,
      world_seed: 42,
      world_width: 1024,
      world_height: 1024,
      noise_octaves: 6,
      biome_forest_percent: 0.35,
      transaction_fee_percent: 5,
    });
  });

  const invalidPatches: Array<[string, Record<string, unknown>]> = [
    ["nine octaves", { noise_octaves: 9 }],
    ["zero octaves", { noise_octaves: 0 }],
    ["persistence of 1", { noise_persistence: 1 }],
    ["persistence of 0", { noise_persistence: 0 }],
    ["lacunarity of 1", { noise_lacunarity: 1 }],
    ["biome shares that sum to 1.1", { biome_forest_percent: 0.45 }],
    ["a zero base price", { base_land_price_bdt: 0 }],
    ["a negative multiplier", { snow_multiplier: -1 }],
    ["a fractional price", { base_land_price_bdt: 10.5 }],
    ["a fee over 100 %", { transaction_fee_percent: 101 }],
    ["an unknown field", { gravity: 9.81 }],
    ["a field an admin may not set", { version: 99 }],
    ["an empty change", {}],
    ["a string where a number belongs", { world_seed: "42" }],
  ];
  it.each(invalidPatches)("refuses %s with 400 INVALID_INPUT and inserts no row", async (_label, patch) => {
    const before = await server.db.query("SELECT count(*)::int AS n FROM admin_config");
    const response = await api.put("/admin/config", patch, admin.token);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("INVALID_INPUT");
    const after = await server.db.query("SELECT count(*)::int AS n FROM admin_config");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("inserts a new row for each change, keeps the history, and audits it in the same transaction", async () => {
    const before = (await api.get("/admin/config", admin.token)).body;
    const response = await api.put(
      "/admin/config",
      { world_seed: 1234, biome_forest_percent: 0.3, biome_grassland_percent: 0.35 },
      admin.token,
    );
    expect(response.status).toBe(200);
    expect(response.body.version).toBe(before.version + 1);
    expect(response.body).toMatchObject({ world_seed: 1234, biome_forest_percent: 0.3, biome_grassland_percent: 0.35 });
    expect(response.body.updated_by).toBe(admin.userId);
    expect((await api.get("/admin/config", admin.token)).body.version).toBe(response.body.version);

    const history = await server.db.query("SELECT version, world_seed FROM admin_config ORDER BY version");
    expect(history.rows.map((row) => Number(row.world_seed))).toEqual(expect.arrayContaining([42, 1234]));
    const audit = await api.get(`/admin/audit?category=admin&actor_id=${admin.userId}`, admin.token);
    const entry = audit.body.entries.find((e: any) => e.resource_id === response.body.config_id);
    expect(entry).toMatchObject({ event_type: "config_changed", actor_id: admin.userId, actor_role: "admin" });
    expect(entry.details.changed.world_seed).toEqual({ from: before.world_seed, to: 1234 });
  });

  it("refuses to edit a config row in place", async () => {
    await expect(server.db.query("UPDATE admin_config SET world_seed = 1")).rejects.toThrow(/insert-only/);
  });
});

describe("admin credit", () => {
  it("credits a user: the balance shows in /me and the credit in the audit log", async () => {
    const target = await registerUser(api, "funded");
    const response = await api.post(`/admin/users/${target.userId}/credit`, { amount_bdt: 2500, reason: "welcome bonus" }, admin.token);
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ user_id: target.userId, balance_bdt: 2500, held_bdt: 0 });
    expect((await api.get("/me", target.token)).body.user.balance_bdt).toBe(2500);

    const audit = await api.get("/admin/audit?category=payment", admin.token);
    const entry = audit.body.entries.find((e: any) => e.resource_id === target.userId);
    expect(entry).toMatchObject({
      event_type: "balance_credited",
      actor_id: admin.userId,
      amount_bdt: 2500,
      details: { reason: "welcome bonus", balance_after_bdt: 2500 },
    });
  });

  it("refuses a debit below zero with INSUFFICIENT_FUNDS and changes nothing", async () => {
    const target = await registerUser(api, "poor");
    const response = await api.post(`/admin/users/${target.userId}/credit`, { amount_bdt: -1, reason: "oops" }, admin.token);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe("INSUFFICIENT_FUNDS");
    expect((await api.get("/me", target.token)).body.user.balance_bdt).toBe(0);
  });

  it("answers 404 NOT_FOUND for an unknown user, 400 for a malformed id or amount", async () => {
    const unknown = await api.post("/admin/users/00000000-0000-4000-8000-0000000000ff/credit", { amount_bdt: 5, reason: "x" }, admin.token);
    expect(unknown.status).toBe(404);
    const malformed = await api.post("/admin/users/not-a-uuid/credit", { amount_bdt: 5, reason: "x" }, admin.token);
    expect(malformed.status).toBe(400);
    for (const amount_bdt of [0, 1.5, "5", 2 ** 60]) {
      const response = await api.post(`/admin/users/${player.userId}/credit`, { amount_bdt, reason: "x" }, admin.token);
      expect(response.status, `amount ${amount_bdt}`).toBe(400);
    }
  });
});

describe("audit log paging", () => {
  it("pages newest first with an opaque cursor, without repeats", async () => {
    const first = await api.get("/admin/audit?limit=2", admin.token);
    expect(first.status).toBe(200);
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api.get(`/admin/audit?limit=2&cursor=${first.body.next_cursor}`, admin.token);
    const firstIds = first.body.entries.map((e: any) => e.log_id);
    for (const entry of second.body.entries) expect(firstIds).not.toContain(entry.log_id);
    expect(Date.parse(second.body.entries[0].created_at)).toBeLessThanOrEqual(Date.parse(first.body.entries[1].created_at));
    const bad = await api.get("/admin/audit?cursor=garbage", admin.token);
    expect(bad.status).toBe(400);
  });
});
