import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "../helpers/processes.js";
import { apiClient, registerUser } from "../helpers/http-client.js";
import { fund } from "../helpers/accounts.js";
import { eventually, resultCollector, sdkClient, leaveAll } from "../helpers/room-client.js";

const environment = testEnvironment();
const processes: Spawned[] = [];
const rooms: Room[] = [];
let portA: number;
let portB: number;
let db: pg.Pool;

async function startServerProcess(port: number) {
  const run = spawnEntry("src/main.ts", { ...environment.env, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` });
  processes.push(run);
  await waitForHttpOk(`http://127.0.0.1:${port}/health`, 20_000);
  return run;
}

beforeAll(async () => {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  portA = await freePort();
  portB = await freePort();
  await startServerProcess(portA); // creates and migrates the database first
  await startServerProcess(portB);
  db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
}, 60_000);

afterAll(async () => {
  await leaveAll(rooms);
  for (const run of processes) run.child.kill("SIGTERM");
  await Promise.all(processes.map((run) => run.exited));
  await db?.end();
  await forgetTestEnvironment(environment);
});

let adminToken: string | undefined;
async function fundedPlayer(amount: number) {
  const api = apiClient(`http://127.0.0.1:${portA}`);
  if (!adminToken) {
    const admin = await registerUser(api, "admin");
    await db.query("UPDATE users SET role = 'admin' WHERE user_id = $1", [admin.userId]); // as `npm run admin:create` would
    adminToken = admin.token;
  }
  const user = await registerUser(api);
  await fund(api, adminToken, user.userId, amount);
  return user;
}

async function joinThrough(port: number, cx: number, cy: number, token?: string) {
  const room = await sdkClient(`ws://127.0.0.1:${port}`, token).joinOrCreate("chunk", { cx, cy });
  rooms.push(room);
  return room;
}

const landsOf = (room: Room) => ((room.state as any)?.lands ?? new Map()) as Map<string, any>;

describe("two server processes sharing Redis", () => {
  it("clients joining chunk (3, 4) through either process are in the same room, and see each other's purchases", async () => {
    const buyer = await fundedPlayer(50_000);
    const throughA = await joinThrough(portA, 3, 4, buyer.token);
    const throughB = await joinThrough(portB, 3, 4);
    expect(throughA.roomId).toBe("chunk_3_4");
    expect(throughB.roomId).toBe("chunk_3_4");

    const results = resultCollector(throughA);
    const bought = await results.send("buy", { req: "cluster-buy", x: 97, y: 129 });
    expect(bought).toMatchObject({ ok: true });
    const seen = await eventually(() => landsOf(throughB).get("97,129"));
    expect(seen.owner_id).toBe(buyer.userId);
  });

  it("many clients joining a new chunk through both processes at the same instant end in one room", async () => {
    const joins = Array.from({ length: 24 }, (_, i) => joinThrough(i % 2 === 0 ? portA : portB, 6, 6));
    const joined = await Promise.all(joins);
    expect(new Set(joined.map((room) => room.roomId))).toEqual(new Set(["chunk_6_6"]));

    const buyer = await fundedPlayer(50_000);
    const actor = await joinThrough(portB, 6, 6, buyer.token);
    expect(await resultCollector(actor).send("buy", { req: "one-room", x: 200, y: 200 })).toMatchObject({ ok: true });
    // Every client sees the purchase: had a duplicate room been made, some would not.
    await eventually(() => joined.every((room) => landsOf(room).get("200,200")?.owner_id === buyer.userId), 5_000);
  });
});
