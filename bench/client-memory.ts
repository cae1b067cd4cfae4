/**
 * Benchmark: server memory per connected client, against a bare `ws` server
 * holding the same number of plain WebSocket connections, in the same run.
 *
 * - The server runs as its own process (as an operator runs it); so does the
 *   bare server (`bench/bare-ws-server.ts`). Clients live in this process, so
 *   their memory does not count.
 * - Memory is read the same way in both processes: through the inspector,
 *   after two full garbage collections, `process.memoryUsage()`; once before
 *   the clients connect and once after (the sockets settled). The figure is
 *   the difference divided by the connections: the heap (`heapUsed`) plus
 *   memory outside it (`external`: buffers), and the resident set (RSS).
 * - The server's clients are players as the load tester plays them: each a
 *   logged-in user keeping the 3 × 3 chunks around it joined (nine rooms, nine
 *   WebSockets), in a 6 × 6-chunk area whose rooms already exist (one
 *   anonymous watcher each) and show a realistic overlay (lands owned and
 *   signed by four players). What is measured is therefore the cost of one
 *   more connection to a live room, not of the room.
 *
 * Run alone: `npx tsx bench/client-memory.ts`.
 */
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import type { Room } from "@colyseus/sdk";
import { registerUser } from "../test/helpers/http-client.js";
import { sdkClient } from "../test/helpers/room-client.js";
import { attachInspector, inBatches, INSPECT, ownLands, round, spawnBareWsServer, startBenchServer, type ProcessInspector } from "./bench-support.js";

const AREA_CHUNKS = 6;
const PLAYERS = 112;
const LANDS_PER_CHUNK = 24;
const SETTLE_MS = 2_000;

const area = Array.from({ length: AREA_CHUNKS * AREA_CHUNKS }, (_, i) => ({ cx: i % AREA_CHUNKS, cy: Math.floor(i / AREA_CHUNKS) }));

/** Each player's 3 × 3 block: centres spread evenly over the area's inner chunks, so every block is whole. */
function blockOf(player: number) {
  const inner = AREA_CHUNKS - 2;
  const centre = { cx: 1 + (player % inner), cy: 1 + (Math.floor(player / inner) % inner) };
  return [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => ({ cx: centre.cx + dx, cy: centre.cy + dy })));
}

interface Footprint {
  heapAndExternal: number;
  rss: number;
}

async function footprint(inspector: ProcessInspector): Promise<Footprint> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const usage = await inspector.memoryAfterGc();
  return { heapAndExternal: usage.heapUsed + usage.external, rss: usage.rss };
}

const perConnection = (before: Footprint, after: Footprint, connections: number) => ({
  heapAndExternal: (after.heapAndExternal - before.heapAndExternal) / connections,
  rss: (after.rss - before.rss) / connections,
});

async function measureServer() {
  const server = await startBenchServer({ NODE_OPTIONS: INSPECT });
  const inspector = await attachInspector(server.process);
  const rooms: Room[] = [];
  try {
    await ownLands(server, area, LANDS_PER_CHUNK);
    const watcher = sdkClient(server.wsUrl);
    rooms.push(...(await inBatches(area, 8, (chunk) => watcher.joinOrCreate("chunk", chunk))));
    const players = await inBatches(Array.from({ length: PLAYERS }), 10, () => registerUser(server.api, "bench"));

    const before = await footprint(inspector);
    const joins = players.flatMap((player, index) => blockOf(index).map((chunk) => ({ token: player.token, chunk })));
    rooms.push(
      ...(await inBatches(joins, 16, async ({ token, chunk }) => {
        const room = await sdkClient(server.wsUrl, token).joinOrCreate("chunk", chunk);
        room.onMessage("event", () => undefined);
        return room;
      })),
    );
    const after = await footprint(inspector);
    return { connections: joins.length, before, after, ...perConnection(before, after, joins.length) };
  } finally {
    inspector.close();
    await inBatches(rooms, 32, (room) => room.leave());
    await server.stop();
  }
}

async function measureBare(connections: number) {
  const bare = await spawnBareWsServer({ inspect: true });
  const inspector = await attachInspector(bare.process);
  const sockets: WebSocket[] = [];
  try {
    const before = await footprint(inspector);
    sockets.push(
      ...(await inBatches(Array.from({ length: connections }), 16, async () => {
        const socket = new WebSocket(bare.url);
        await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
        return socket;
      })),
    );
    const after = await footprint(inspector);
    return { before, after, ...perConnection(before, after, connections) };
  } finally {
    inspector.close();
    for (const socket of sockets) socket.close();
    await bare.stop();
  }
}

export async function benchClientMemory() {
  const server = await measureServer();
  const bare = await measureBare(server.connections);
  return {
    connections: server.connections,
    players: PLAYERS,
    roomsWatched: area.length,
    serverHeapBytesPerClient: Math.round(server.heapAndExternal),
    bareHeapBytesPerClient: Math.round(bare.heapAndExternal),
    heapRatio: round(server.heapAndExternal / bare.heapAndExternal, 2),
    serverRssBytesPerClient: Math.round(server.rss),
    bareRssBytesPerClient: Math.round(bare.rss),
    rssRatio: round(server.rss / bare.rss, 2),
    serverRssMiBBefore: round(server.before.rss / 2 ** 20, 1),
    serverRssMiBAfter: round(server.after.rss / 2 ** 20, 1),
    bareRssMiBBefore: round(bare.before.rss / 2 ** 20, 1),
    bareRssMiBAfter: round(bare.after.rss / 2 ** 20, 1),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchClientMemory();
  console.table(result);
  console.log(JSON.stringify({ bench: "client-memory", ...result }));
  process.exit(0);
}
