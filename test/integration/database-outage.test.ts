import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { expectLedgerBalanced } from "../helpers/ledger.js";
import { apiClient } from "../helpers/http-client.js";
import { registerAdmin } from "../helpers/accounts.js";
import { leaveAll } from "../helpers/room-client.js";
import { buyLand, connectedPlayer } from "../helpers/market-fixtures.js";

let server: TestServer;
const rooms: Room[] = [];

beforeAll(async () => {
  server = await startTestServer({ CHUNK_RATE_LIMIT_PER_SECOND: "1000", CHUNK_RATE_LIMIT_BURST: "1000" });
});
afterAll(async () => {
  await leaveAll(rooms);
  await server?.stop();
});

describe("PostgreSQL connections cut during load", () => {
  it("answers the actions that failed with UNAVAILABLE, never INTERNAL, and serves again without a restart", async () => {
    const api = apiClient(server.baseUrl);
    const admin = await registerAdmin(server, api);
    const owner = await connectedPlayer(server, api, admin.token, { rooms });
    await buyLand(owner, 3, 3);

    const cut = async () =>
      server.db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'vlw%'",
      );
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        if (i % 15 === 0) await cut();
        return owner.send("set_message", { x: 3, y: 3, text: `message ${i}` });
      }),
    );
    const codes = outcomes.map((outcome) => (outcome.ok ? "OK" : outcome.error!.code));
    expect(codes.filter((code) => code !== "OK" && code !== "UNAVAILABLE")).toEqual([]);
    expect(codes).toContain("OK");

    // Service resumes without a restart: HTTP, rooms and a money movement.
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    expect(await owner.send("set_message", { x: 3, y: 3, text: "after the outage" })).toMatchObject({ ok: true });
    expect(await owner.send("buy", { x: 4, y: 3 })).toMatchObject({ ok: true });
    await expectLedgerBalanced(server.environment.databaseUrl);
  }, 60_000);
});
