import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Room } from "@colyseus/sdk";
import { forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "../helpers/processes.js";
import { apiClient, registerUser } from "../helpers/http-client.js";
import { fund } from "../helpers/accounts.js";
import { eventually, joinRefusal, resultCollector, sdkClient } from "../helpers/room-client.js";
import type { ChatMessageView } from "../../src/protocol/room-messages.js";

const environment = testEnvironment();
const processes: Spawned[] = [];
const rooms: Room[] = [];
let portA: number;
let portB: number;
let db: pg.Pool;
let adminToken: string;

beforeAll(async () => {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  portA = await freePort();
  portB = await freePort();
  for (const port of [portA, portB]) {
    const run = spawnEntry("src/main.ts", { ...environment.env, PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}` });
    processes.push(run);
    await waitForHttpOk(`http://127.0.0.1:${port}/health`, 20_000); // the first creates and migrates the database
  }
  db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  const admin = await registerUser(apiClient(`http://127.0.0.1:${portA}`), "admin");
  await db.query("UPDATE users SET role = 'admin' WHERE user_id = $1", [admin.userId]); // as `npm run admin:create` would
  adminToken = admin.token;
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(rooms.filter((room) => room.connection?.isOpen).map((room) => room.leave()));
  for (const run of processes) run.child.kill("SIGTERM");
  await Promise.all(processes.map((run) => run.exited));
  await db?.end();
  await forgetTestEnvironment(environment);
});

const player = () => registerUser(apiClient(`http://127.0.0.1:${portA}`), "chat");

let nextLand = 0;
async function ownedLand(passcode?: string) {
  const owner = await player();
  await fund(apiClient(`http://127.0.0.1:${portA}`), adminToken, owner.userId, 100_000);
  const x = 2 * nextLand++;
  const chunk = await sdkClient(`ws://127.0.0.1:${portA}`, owner.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  const results = resultCollector(chunk);
  expect((await results.send("buy", { req: `buy-${x}`, x, y: 0 }, 20_000)).ok).toBe(true);
  if (passcode) expect((await results.send("fence", { req: `fence-${x}`, x, y: 0, passcode })).ok).toBe(true);
  await chunk.leave();
  const row = await db.query("SELECT land_id FROM lands WHERE x = $1 AND y = 0", [x]);
  return { owner, landId: row.rows[0].land_id as string };
}

async function joinThrough(port: number, token: string, landId: string, passcode?: string) {
  const room = await sdkClient(`ws://127.0.0.1:${port}`, token).joinOrCreate("land_chat", {
    land_id: landId,
    ...(passcode ? { passcode } : {}),
  });
  rooms.push(room);
  const received: ChatMessageView[] = [];
  room.onMessage("msg", (message: ChatMessageView) => received.push(message));
  room.onMessage("history", () => undefined);
  return { room, received, results: resultCollector(room) };
}

const message = () => ({ ciphertext: randomBytes(48).toString("base64"), iv: randomBytes(12).toString("base64"), v: "1.0", type: "text" });

describe("land chat on two server processes sharing Redis", () => {
  it("clients joining one land's chat through either process at once end in one room and hear each other", async () => {
    const { landId } = await ownedLand();
    const people = await Promise.all(Array.from({ length: 12 }, () => player()));
    const sessions = await Promise.all(people.map((person, i) => joinThrough(i % 2 === 0 ? portA : portB, person.token, landId)));
    expect(new Set(sessions.map((session) => session.room.roomId))).toEqual(new Set([`land_chat_${landId}`]));
    await eventually(() => sessions.every((session) => (session.room.state as { participant_count?: number }).participant_count === 12));

    const sent = message();
    expect((await sessions[1]!.results.send("msg", { req: "across", ...sent })).ok).toBe(true);
    await eventually(() => sessions.every((session) => session.received.length === 1));
    expect(sessions[0]!.received[0]!.ciphertext).toBe(sent.ciphertext);
    const active = await db.query("SELECT count(*)::int AS n FROM chat_sessions WHERE land_id = $1 AND status = 'active'", [landId]);
    expect(active.rows[0].n).toBe(1);
  });

  it("counts wrong passcodes across processes: three through one and two through the other lock the user out of both", async () => {
    const { landId } = await ownedLand("7777");
    const guesser = await player();
    const refuse = (port: number, passcode: string) =>
      joinRefusal(sdkClient(`ws://127.0.0.1:${port}`, guesser.token).joinOrCreate("land_chat", { land_id: landId, passcode }));
    for (const port of [portA, portB, portA, portB, portA]) expect((await refuse(port, "1111")).message).toBe("WRONG_PASSCODE");
    expect(await refuse(portB, "7777")).toEqual({ code: 423, message: "LOCKED_OUT" });
    expect(await refuse(portA, "7777")).toEqual({ code: 423, message: "LOCKED_OUT" });
  });

  it("limits a user's messages across processes: chatting in two lands whose rooms live on different processes shares one budget", async () => {
    const first = await ownedLand();
    const second = await ownedLand();
    const chatty = await player();
    // Each room is created by the process that handled its first join.
    const inFirst = await joinThrough(portA, chatty.token, first.landId);
    const inSecond = await joinThrough(portB, chatty.token, second.landId);
    for (let i = 0; i < 15; i++) {
      inFirst.room.send("msg", { req: `one-${i}`, ...message() });
      inSecond.room.send("msg", { req: `two-${i}`, ...message() });
    }
    await eventually(() => inFirst.results.results.length === 15 && inSecond.results.results.length === 15, 10_000);
    const ok = [...inFirst.results.results, ...inSecond.results.results].filter((result) => result.ok).length;
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThanOrEqual(22);
  });
});
