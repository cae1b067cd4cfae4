/**
 * Benchmark: room fan-out efficiency. State patches delivered per core-second
 * of the server process, 200 clients in one chunk room, against a bare `ws`
 * server broadcasting frames of the same size at the same rate to the same
 * number of clients, in the same run.
 *
 * - The state changes at a steady rate the way every change reaches a room:
 *   a land change announced on the chunk's presence channel (what the
 *   purchase workers, the outbox relay and the land-owner service publish
 *   after a commit), here from this process, a land's sign (`public_message`,
 *   same length every time) and `updated_at_ms`. The room applies it to its
 *   state and the next patch tick (25 ms) sends it. So the server's work is the
 *   room's own path: receive the announcement, apply it, encode the patch once,
 *   send it to every client. Nothing is added to the server for the benchmark.
 * - Deliveries = patches the clients actually received (`onStateChange`).
 *   The bare server (`bench/bare-ws-server.ts`) then broadcasts frames of the
 *   patch frame's size at the rate the room's clients received patches.
 * - CPU is the server process's user + system time from /proc over the
 *   window (all its threads), for both targets; the bare server idles while
 *   the room is measured and the other way round. Rounds alternate (the
 *   machine is shared and noisy); medians are reported.
 *
 * Clients are anonymous watchers (the fan-out is the same for every client).
 *
 * Run alone: `npx tsx bench/fanout.ts`.
 */
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import { RedisPresence } from "@colyseus/redis-presence";
import type { Room } from "@colyseus/sdk";
import { Protocol } from "@colyseus/core";
import { sdkClient } from "../test/helpers/room-client.js";
import { landChangesChannel, type LandChangeMessage } from "../src/services/land-changes.js";
import type { LandView } from "../src/services/land-view.js";
import { colyseusKeyPrefix, inBatches, ownLands, processCpuTimes, round, spawnBareWsServer, startBenchServer } from "./bench-support.js";

const CLIENTS = 200;
const CHANGES_PER_SECOND = 30;
const WINDOW_MS = 8_000;
const ROUNDS = 3;
const CHUNK = { cx: 0, cy: 0 };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Window {
  deliveries: number;
  cpuSeconds: number;
  systemSeconds: number;
  seconds: number;
}

/** Counts deliveries over one window while `drive` runs, and the target's CPU time meanwhile. */
async function measureWindow(pid: number, counter: { deliveries: number }, drive: () => () => void): Promise<Window> {
  const stop = drive();
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // reach the steady rate first
  counter.deliveries = 0;
  const cpuBefore = await processCpuTimes(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const cpuAfter = await processCpuTimes(pid);
  const seconds = (performance.now() - started) / 1000;
  const deliveries = counter.deliveries;
  stop();
  await new Promise((resolve) => setTimeout(resolve, 500)); // drain
  const systemSeconds = cpuAfter.system - cpuBefore.system;
  return { deliveries, cpuSeconds: cpuAfter.user - cpuBefore.user + systemSeconds, systemSeconds, seconds };
}

export async function benchFanout() {
  const server = await startBenchServer();
  const presence = new RedisPresence({ ...redisOptions(server.environment.env.REDIS_URL!), keyPrefix: colyseusKeyPrefix(server) });
  const bare = await spawnBareWsServer();
  const rooms: Room[] = [];
  const sockets: WebSocket[] = [];
  try {
    await ownLands(server, [CHUNK], 8, 1);
    const counter = { deliveries: 0 };
    const watcher = sdkClient(server.wsUrl);
    rooms.push(...(await inBatches(Array.from({ length: CLIENTS }), 16, () => watcher.joinOrCreate("chunk", CHUNK))));
    for (const room of rooms) {
      room.onStateChange(() => counter.deliveries++);
      room.onMessage("event", () => undefined); // a watcher ignores the chunk's events
    }

    // The patch frames' sizes on the wire, from the first client's socket.
    const patchSizes = new Map<number, number>();
    const firstSocket = (rooms[0]!.connection as unknown as { transport: { ws: WebSocket } }).transport.ws;
    firstSocket.addEventListener("message", (event) => {
      const frame = new Uint8Array(event.data as ArrayBuffer);
      if (frame[0] === Protocol.ROOM_STATE_PATCH) patchSizes.set(frame.byteLength, (patchSizes.get(frame.byteLength) ?? 0) + 1);
    });
    const patchBytes = () => [...patchSizes].sort((a, b) => b[1] - a[1])[0]![0];

    const lands = [...(rooms[0]!.state as { lands: Map<string, { toJSON(): LandView }> }).lands.values()].map((entry) => entry.toJSON());
    const land = lands[0]!;
    // Newer than every version the room holds, or the room keeps its own.
    let version = Math.max(Date.now(), ...lands.map((entry) => entry.updated_at_ms)) + 1_000;
    const driveRoom = () => {
      const timer = setInterval(() => {
        version++;
        const message: LandChangeMessage = { land: { ...land, public_message: `sign version ${version}`, updated_at_ms: version } };
        void presence.publish(landChangesChannel(CHUNK.cx, CHUNK.cy), message);
      }, 1000 / CHANGES_PER_SECOND);
      return () => clearInterval(timer);
    };

    const bareCounter = { deliveries: 0 };
    sockets.push(
      ...(await inBatches(Array.from({ length: CLIENTS }), 16, async () => {
        const socket = new WebSocket(bare.url);
        await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
        socket.on("message", () => bareCounter.deliveries++);
        return socket;
      })),
    );

    // What each process spends with its clients connected and nothing to send.
    const idle = () => () => undefined;
    const roomIdle = await measureWindow(server.process.child.pid!, counter, idle);
    const bareIdle = await measureWindow(bare.process.child.pid!, bareCounter, idle);

    const roomRounds: Window[] = [];
    const bareRounds: Window[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const roomWindow = await measureWindow(server.process.child.pid!, counter, driveRoom);
      const shown = (rooms[0]!.state as { lands: Map<string, LandView> }).lands.get(`${land.x},${land.y}`)?.updated_at_ms;
      if (roomWindow.deliveries / CLIENTS / roomWindow.seconds < CHANGES_PER_SECOND / 2) {
        throw new Error(
          `the room applied few of the announced changes (${round(roomWindow.deliveries / CLIENTS / roomWindow.seconds, 1)} patches/s; last version announced ${version}, shown ${shown})`,
        );
      }
      roomRounds.push(roomWindow);
      // The bare server at the rate the room's clients received patches.
      const patchesPerSecond = roomWindow.deliveries / CLIENTS / roomWindow.seconds;
      bareRounds.push(
        await measureWindow(bare.process.child.pid!, bareCounter, () => {
          sockets[0]!.send(`broadcast ${patchBytes()} ${patchesPerSecond}`);
          return () => sockets[0]!.send("stop");
        }),
      );
    }
    const perCoreSecond = (window: Window) => window.deliveries / window.cpuSeconds;
    const roomRate = median(roomRounds.map(perCoreSecond));
    const bareRate = median(bareRounds.map(perCoreSecond));
    return {
      clients: CLIENTS,
      changesPerSecond: CHANGES_PER_SECOND,
      patchBytes: patchBytes(),
      patchesPerSecondPerClient: round(median(roomRounds.map((w) => w.deliveries / CLIENTS / w.seconds)), 1),
      roomDeliveriesPerSecond: round(median(roomRounds.map((w) => w.deliveries / w.seconds)), 0),
      bareDeliveriesPerSecond: round(median(bareRounds.map((w) => w.deliveries / w.seconds)), 0),
      roomServerCpuPercent: round(median(roomRounds.map((w) => (100 * w.cpuSeconds) / w.seconds)), 1),
      bareServerCpuPercent: round(median(bareRounds.map((w) => (100 * w.cpuSeconds) / w.seconds)), 1),
      roomSystemCpuPercent: round(median(roomRounds.map((w) => (100 * w.systemSeconds) / w.seconds)), 1),
      bareSystemCpuPercent: round(median(bareRounds.map((w) => (100 * w.systemSeconds) / w.seconds)), 1),
      roomIdleCpuPercent: round((100 * roomIdle.cpuSeconds) / roomIdle.seconds, 1),
      bareIdleCpuPercent: round((100 * bareIdle.cpuSeconds) / bareIdle.seconds, 1),
      roomDeliveriesPerCoreSecond: round(roomRate, 0),
      bareDeliveriesPerCoreSecond: round(bareRate, 0),
      ratio: round(roomRate / bareRate, 3),
      ratioPerRound: roomRounds.map((w, i) => round(perCoreSecond(w) / perCoreSecond(bareRounds[i]!), 3)).join(" "),
    };
  } finally {
    for (const socket of sockets) socket.close();
    await inBatches(rooms, 32, (room) => room.leave());
    presence.shutdown();
    await bare.stop();
    await server.stop();
  }
}

function redisOptions(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchFanout();
  console.table(result);
  console.log(JSON.stringify({ bench: "fanout", ...result }));
  process.exit(0);
}
