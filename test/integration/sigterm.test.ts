import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";
import { expectLedgerBalanced } from "../helpers/ledger.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "../helpers/processes.js";
import { apiClient, registerUser } from "../helpers/http-client.js";
import { fund } from "../helpers/accounts.js";
import { resultCollector, sdkClient } from "../helpers/room-client.js";
import { RECONNECT_CLOSE_CODE } from "../../src/protocol/room-messages.js";

// The load below is one player buying as fast as answers come; the per-player limits are not under test here.
const environment = testEnvironment({ LOG_LEVEL: "info", CHUNK_RATE_LIMIT_PER_SECOND: "100000", CHUNK_RATE_LIMIT_BURST: "100000" });
let server: Spawned;
let port: number;
let db: pg.Pool;

beforeAll(async () => {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  port = await freePort();
  server = spawnEntry("src/main.ts", { ...environment.env, PORT: String(port) });
  await waitForHttpOk(`http://127.0.0.1:${port}/health`, 20_000);
  db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
}, 60_000);
afterAll(async () => {
  server?.child.kill("SIGKILL");
  await db?.end();
  await forgetTestEnvironment(environment);
});

describe("SIGTERM during load", () => {
  it("tells clients to reconnect, loses no acknowledged purchase, and exits 0 within 10 seconds", async () => {
    const api = apiClient(`http://127.0.0.1:${port}`);
    const admin = await registerUser(api, "admin");
    await db.query("UPDATE users SET role = 'admin' WHERE user_id = $1", [admin.userId]); // as `npm run admin:create` does
    const players = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const user = await registerUser(api);
        await fund(api, admin.token, user.userId, 1_000_000);
        const room: Room = await sdkClient(`ws://127.0.0.1:${port}`, user.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
        const events: Array<{ type: string }> = [];
        room.onMessage("event", (event) => events.push(event));
        let closedWith: number | undefined;
        room.onLeave((code) => (closedWith = code));
        return { user, room, events, results: resultCollector(room), closed: () => closedWith };
      }),
    );

    // Purchases keep flowing while the signal arrives.
    let stop = false;
    const acknowledged: Array<{ userId: string; x: number; y: number }> = [];
    const load = players.map(async (player, p) => {
      for (let i = 0; !stop && i < 200; i++) {
        const x = i % 32;
        const y = p * 6 + Math.floor(i / 32);
        player.room.send("buy", { req: `load-${i}`, x, y });
        const result = await player.results.waitFor(`load-${i}`, 1, 5_000).catch(() => undefined);
        if (result?.[0]?.ok) acknowledged.push({ userId: player.user.userId, x, y });
        if (!result) break;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    const { code } = await server.exited;
    stop = true;
    await Promise.all(load);
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);

    for (const player of players) {
      expect(player.events.some((event) => event.type === "server_restarting")).toBe(true);
      expect(player.closed()).toBe(RECONNECT_CLOSE_CODE);
    }
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const purchase of acknowledged) {
      const owner = await db.query("SELECT owner_id FROM lands WHERE x = $1 AND y = $2", [purchase.x, purchase.y]);
      expect(owner.rows[0]?.owner_id).toBe(purchase.userId);
    }
    await expectLedgerBalanced(environment.databaseUrl);
  }, 60_000);
});
