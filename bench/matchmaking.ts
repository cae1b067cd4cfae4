/**
 * Benchmark: does joining a chunk room cost more when the cluster has many
 * live rooms? Join latency (SDK `joinOrCreate("chunk", {cx, cy})`: the
 * matchmaking HTTP request, the seat reservation, the WebSocket and the
 * handshake with the first state) with 10 live chunk rooms, then 2,000, then
 * 10 again; the baseline is the mean of the two 10-room phases of the same run.
 *
 * - Live rooms are held open by one anonymous watcher each (a chunk room
 *   disposes when its last client leaves), all in this process.
 * - "existing": a logged-in player joins a chunk whose room is live and
 *   leaves again (the room stays: its watcher holds it).
 * - "new": a logged-in player joins a chunk nobody watches (the room is
 *   created, subscribes to its land changes and loads its overlay) and leaves
 *   (the room disposes). Every new join uses a chunk never used before.
 * - Joins are one at a time (latency, not throughput), the two kinds
 *   interleaved so both see the same noise.
 * - The world is widened to 2,048 × 2,048 lands (64 × 64 = 4,096 chunks)
 *   through the admin route, since the default 32 × 32 chunks hold fewer
 *   than 2,000 rooms.
 *
 * Also reported: the server's CPU with the rooms idle (each live room ticks
 * its patch interval), and what the stock Redis driver would add to every
 * join (reading and parsing every room's listing, HGETALL of the room hash;
 * the project's driver reads only the chunk's own entry: one HGET).
 *
 * Run alone: `npx tsx bench/matchmaking.ts`.
 */
import os from "node:os";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import type { Room } from "@colyseus/sdk";
import { registerUser } from "../test/helpers/http-client.js";
import { sdkClient } from "../test/helpers/room-client.js";
import { colyseusKeyPrefix, inBatches, processCpuSeconds, round, startBenchServer, summarize, type BenchServer } from "./bench-support.js";

const WORLD_LANDS = 2048;
const CHUNKS_PER_ROW = WORLD_LANDS / 32;
const FEW_ROOMS = 10;
const MANY_ROOMS = 2_000;
const EXISTING_JOINS = 300;
const NEW_JOINS = 150;

const chunkAt = (index: number) => ({ cx: index % CHUNKS_PER_ROW, cy: Math.floor(index / CHUNKS_PER_ROW) });

/** Chunks for new rooms: after the watched ones, never reused. */
let nextFreshChunk = MANY_ROOMS;

async function timedJoin(server: BenchServer, token: string, chunk: { cx: number; cy: number }): Promise<number> {
  const started = performance.now();
  const room = await sdkClient(server.wsUrl, token).joinOrCreate("chunk", chunk);
  const elapsed = performance.now() - started;
  await room.leave();
  return elapsed;
}

/** Joins of both kinds, interleaved (a new join after every second existing one). */
async function measureJoins(server: BenchServer, token: string, liveRooms: number) {
  const existing: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; existing.length < EXISTING_JOINS || fresh.length < NEW_JOINS; i++) {
    if (existing.length < EXISTING_JOINS) {
      // Spread over the live rooms with a stride, so consecutive joins hit different rooms.
      existing.push(await timedJoin(server, token, chunkAt((i * 7919) % liveRooms)));
    }
    if (i % 2 === 1 && fresh.length < NEW_JOINS) fresh.push(await timedJoin(server, token, chunkAt(nextFreshChunk++)));
  }
  // The machine's load while measuring: other tenants' work shows up in these latencies.
  return { existing: summarize(existing), fresh: summarize(fresh), loadAverage: os.loadavg()[0]! };
}

/** Server CPU (% of one core) over a few seconds with nothing happening but the live rooms. */
async function idleCpuPercent(server: BenchServer, seconds = 3): Promise<number> {
  const pid = server.process.child.pid!;
  const before = await processCpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return (100 * ((await processCpuSeconds(pid)) - before)) / seconds;
}

/** What the stock driver does on every join of a room without a fixed id: read and parse every listing. */
async function fullScanMs(redis: Redis, key: string, repeats = 20) {
  const times: number[] = [];
  let entries = 0;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const all = await redis.hgetall(key);
    entries = Object.values(all).map((raw) => JSON.parse(raw) as unknown).length;
    times.push(performance.now() - started);
  }
  const single: number[] = [];
  const [firstId] = await redis.hkeys(key);
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    JSON.parse((await redis.hget(key, firstId!))!);
    single.push(performance.now() - started);
  }
  return { entries, scanP50: summarize(times).p50, singleP50: summarize(single).p50 };
}

export async function benchMatchmaking() {
  const server = await startBenchServer();
  const redis = new Redis(server.environment.env.REDIS_URL!);
  const watched: Room[] = [];
  try {
    const widened = await server.api.put("/admin/config", { world_width: WORLD_LANDS, world_height: WORLD_LANDS }, server.adminToken);
    if (widened.status !== 200) throw new Error(`could not widen the world: ${widened.status} ${JSON.stringify(widened.body)}`);
    const player = await registerUser(server.api, "bench");
    const watcher = sdkClient(server.wsUrl);
    const watchUpTo = async (rooms: number) => {
      const added = await inBatches(
        Array.from({ length: rooms - watched.length }, (_, i) => chunkAt(watched.length + i)),
        16,
        async (chunk) => {
          const room = await watcher.joinOrCreate("chunk", chunk);
          room.onMessage("event", () => undefined); // a watcher ignores the chunk's events
          return room;
        },
      );
      watched.push(...added);
    };
    const unwatchDownTo = async (rooms: number) => {
      await inBatches(watched.splice(rooms), 16, (room) => room.leave());
    };
    const roomCount = async () => redis.hlen(`${colyseusKeyPrefix(server)}roomcaches`);

    await watchUpTo(FEW_ROOMS);
    await measureJoins(server, player.token, FEW_ROOMS); // warm-up: JIT, connection pools, caches
    const fewBefore = { rooms: await roomCount(), idleCpu: await idleCpuPercent(server), ...(await measureJoins(server, player.token, FEW_ROOMS)) };

    const growStarted = performance.now();
    await watchUpTo(MANY_ROOMS);
    const growSeconds = (performance.now() - growStarted) / 1000;
    const many = { rooms: await roomCount(), idleCpu: await idleCpuPercent(server), ...(await measureJoins(server, player.token, MANY_ROOMS)) };
    const scan = await fullScanMs(redis, `${colyseusKeyPrefix(server)}roomcaches`);

    await unwatchDownTo(FEW_ROOMS);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the rooms dispose
    const fewAfter = { rooms: await roomCount(), idleCpu: await idleCpuPercent(server), ...(await measureJoins(server, player.token, FEW_ROOMS)) };

    const baseline = (pick: (phase: typeof many) => number) => (pick(fewBefore) + pick(fewAfter)) / 2;
    const ratio = (pick: (phase: typeof many) => number) => round(pick(many) / baseline(pick), 3);
    return {
      liveRooms: `${fewBefore.rooms} / ${many.rooms} / ${fewAfter.rooms}`,
      joinsPerPhase: `${EXISTING_JOINS} existing, ${NEW_JOINS} new`,
      existingP50Ms: `${round(fewBefore.existing.p50, 1)} / ${round(many.existing.p50, 1)} / ${round(fewAfter.existing.p50, 1)}`,
      existingP99Ms: `${round(fewBefore.existing.p99, 1)} / ${round(many.existing.p99, 1)} / ${round(fewAfter.existing.p99, 1)}`,
      newP50Ms: `${round(fewBefore.fresh.p50, 1)} / ${round(many.fresh.p50, 1)} / ${round(fewAfter.fresh.p50, 1)}`,
      newP99Ms: `${round(fewBefore.fresh.p99, 1)} / ${round(many.fresh.p99, 1)} / ${round(fewAfter.fresh.p99, 1)}`,
      existingP50Ratio: ratio((phase) => phase.existing.p50),
      existingP99Ratio: ratio((phase) => phase.existing.p99),
      newP50Ratio: ratio((phase) => phase.fresh.p50),
      newP99Ratio: ratio((phase) => phase.fresh.p99),
      machineLoadAverage: `${round(fewBefore.loadAverage, 1)} / ${round(many.loadAverage, 1)} / ${round(fewAfter.loadAverage, 1)}`,
      idleServerCpuPercent: `${round(fewBefore.idleCpu, 1)} / ${round(many.idleCpu, 1)} / ${round(fewAfter.idleCpu, 1)}`,
      secondsToOpen2000Rooms: round(growSeconds, 1),
      stockDriverScanMs: round(scan.scanP50, 2),
      keyedLookupMs: round(scan.singleP50, 3),
      roomListingsScanned: scan.entries,
    };
  } finally {
    await Promise.allSettled(watched.map((room) => room.leave()));
    redis.disconnect();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchMatchmaking();
  console.table(result);
  console.log(JSON.stringify({ bench: "matchmaking", ...result }));
  process.exit(0);
}
