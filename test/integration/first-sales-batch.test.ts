// The group-committed first sale (`first_sales_batch`, migration 014) decides
// each purchase of a batch without subtransactions: these are the cases where
// a purchase must not happen, or must happen only once, inside one batch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { totalMoney } from "../helpers/market-fixtures.js";

let server: TestServer;
let api: ApiClient;
let adminToken: string;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  adminToken = (await registerAdmin(server, api)).token;
});
afterAll(async () => {
  await server?.stop();
});

interface Purchase {
  user_id: string;
  req: string;
  x: number;
  y: number;
  price_bdt: number;
}
const terrain = { biome: "grassland", elevation: 0.5, color_hex: "#55aa55" };

async function firstSalesBatch(purchases: Purchase[], configVersion?: number) {
  const version = configVersion ?? Number((await server.db.query("SELECT max(version) AS v FROM admin_config")).rows[0].v);
  const client = await server.db.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
    const { rows } = await client.query("SELECT first_sales_batch($1::jsonb, $2) AS results", [
      JSON.stringify(purchases.map((purchase) => ({ ...terrain, ...purchase }))),
      version,
    ]);
    await client.query("COMMIT");
    return rows[0].results as Array<{ raised?: string; config_changed?: boolean; outcome?: { ok: boolean; data?: any; error?: { code: string } }; land_id?: string | null }>;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}

const buyer = async (balance: number) => {
  const user = await registerUser(api);
  if (balance > 0) await fund(api, adminToken, user.userId, balance);
  return user;
};
const balanceOf = async (userId: string) => Number((await server.db.query("SELECT balance_bdt FROM users WHERE user_id = $1", [userId])).rows[0].balance_bdt);
const storedAnswer = async (userId: string, req: string) =>
  (await server.db.query("SELECT ok, result FROM request_results WHERE user_id = $1 AND req = $2", [userId, req])).rows[0];
const owner = async (x: number, y: number) => (await server.db.query("SELECT owner_id FROM lands WHERE x = $1 AND y = $2", [x, y])).rows[0]?.owner_id;

describe("first_sales_batch", () => {
  it("decides a batch in order: a race for one land, a buyer who cannot pay, and a req answered earlier in the batch", async () => {
    const first = await buyer(10_000);
    const second = await buyer(10_000);
    const poor = await buyer(100);
    const moneyBefore = await totalMoney(server);
    const results = await firstSalesBatch([
      { user_id: first.userId, req: "a", x: 300, y: 300, price_bdt: 1_000 },
      { user_id: second.userId, req: "b", x: 300, y: 300, price_bdt: 1_000 },
      { user_id: poor.userId, req: "c", x: 301, y: 300, price_bdt: 1_000 },
      { user_id: first.userId, req: "a", x: 302, y: 300, price_bdt: 1_000 },
    ]);

    expect(results.map((result) => result.raised ?? (result.outcome!.ok ? "ok" : result.outcome!.error!.code))).toEqual([
      "ok",
      "ALREADY_OWNED",
      "INSUFFICIENT_FUNDS",
      "P0003",
    ]);
    expect(await owner(300, 300)).toBe(first.userId);
    expect(await owner(301, 300)).toBeUndefined();
    expect(await owner(302, 300)).toBeUndefined();
    expect(await balanceOf(first.userId)).toBe(9_000);
    expect(await balanceOf(second.userId)).toBe(10_000);
    expect(await balanceOf(poor.userId)).toBe(100);
    expect(await totalMoney(server)).toBe(moneyBefore);
    expect(await storedAnswer(first.userId, "a")).toMatchObject({ ok: true, result: { x: 300, y: 300, price_bdt: 1_000 } });
    expect(await storedAnswer(second.userId, "b")).toMatchObject({ ok: false, result: { code: "ALREADY_OWNED" } });
    expect(await storedAnswer(poor.userId, "c")).toMatchObject({ ok: false, result: { code: "INSUFFICIENT_FUNDS" } });
  });

  it("a req answered in an earlier batch is not acted on again", async () => {
    const user = await buyer(10_000);
    await firstSalesBatch([{ user_id: user.userId, req: "once", x: 310, y: 300, price_bdt: 1_000 }]);
    const again = await firstSalesBatch([{ user_id: user.userId, req: "once", x: 311, y: 300, price_bdt: 1_000 }]);
    expect(again).toEqual([{ raised: "P0003" }]);
    expect(await balanceOf(user.userId)).toBe(9_000);
    expect(await owner(311, 300)).toBeUndefined();
  });

  it("a deleted account buys nothing, pays nothing and leaves no answer, while the rest of its batch goes through", async () => {
    const doomed = await buyer(10_000);
    const other = await buyer(10_000);
    await server.db.query("UPDATE users SET deleted_at = now() WHERE user_id = $1", [doomed.userId]);
    const results = await firstSalesBatch([
      { user_id: doomed.userId, req: "gone", x: 320, y: 300, price_bdt: 1_000 },
      { user_id: other.userId, req: "here", x: 321, y: 300, price_bdt: 1_000 },
    ]);
    expect(results[0]).toEqual({ raised: "P0002" });
    expect(results[1]!.outcome).toMatchObject({ ok: true });
    expect(await balanceOf(doomed.userId)).toBe(10_000);
    expect(await storedAnswer(doomed.userId, "gone")).toBeUndefined();
    expect(await owner(320, 300)).toBeUndefined();
    expect(await owner(321, 300)).toBe(other.userId);
  });

  it("answers config_changed for every purchase and writes nothing when the config moved on", async () => {
    const user = await buyer(10_000);
    const results = await firstSalesBatch([{ user_id: user.userId, req: "old", x: 330, y: 300, price_bdt: 1_000 }], -1);
    expect(results).toEqual([{ config_changed: true }]);
    expect(await storedAnswer(user.userId, "old")).toBeUndefined();
    expect(await balanceOf(user.userId)).toBe(10_000);
  });
});
