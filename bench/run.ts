/**
 * `npm run bench`: every benchmark, each a ratio to a baseline measured in the
 * same run on the same machine (these machines are shared and noisy). Prints a
 * table per benchmark and one JSON line per figure. Select some with
 * `npm run bench -- chunks purchases`.
 */
import os from "node:os";
import { benchChunkGeneration } from "./chunk-generation.js";
import { benchChunkHttp } from "./chunk-http.js";
import { benchPurchases } from "./purchases.js";
import { benchAuction } from "./auction.js";
import { benchChat } from "./chat.js";
import { benchMatchmaking } from "./matchmaking.js";
import { benchClientMemory } from "./client-memory.js";
import { benchFanout } from "./fanout.js";
import { startBenchServer } from "./bench-support.js";

type Bench = () => Promise<Record<string, unknown>>;

const benches: Record<string, Bench> = {
  chunks: async () => ({ ...(await benchChunkGeneration()) }),
  "chunk-http": async () => {
    const server = await startBenchServer();
    try {
      return { ...(await benchChunkHttp(server.baseUrl)) };
    } finally {
      await server.stop();
    }
  },
  purchases: async () => ({ ...(await benchPurchases()) }),
  auction: async () => ({ ...(await benchAuction()) }),
  chat: async () => ({ ...(await benchChat()) }),
  matchmaking: async () => ({ ...(await benchMatchmaking()) }),
  "client-memory": async () => ({ ...(await benchClientMemory()) }),
  fanout: async () => ({ ...(await benchFanout()) }),
};

const selected = process.argv.slice(2).filter((name) => !name.startsWith("-"));
const names = selected.length > 0 ? selected : Object.keys(benches);
const unknown = names.filter((name) => !(name in benches));
if (unknown.length > 0) {
  process.stderr.write(`Unknown benchmark(s): ${unknown.join(", ")}. Known: ${Object.keys(benches).join(", ")}.\n`);
  process.exit(2);
}

const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version };
console.log(`Machine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gib} GiB, Node.js ${machine.node}; ${new Date().toISOString()}`);
for (const name of names) {
  const result = await benches[name]!();
  console.log(`\n== ${name}`);
  console.table(result);
  console.log(JSON.stringify({ bench: name, date: new Date().toISOString(), machine, ...result }));
}
process.exit(0);
