/**
 * The bare baseline of the WebSocket benchmarks: a plain `ws` server in a
 * process of its own, doing the least a real server must do.
 *
 * - A binary frame from any client is sent to every connected client
 *   (a chat relay: `bench/chat.ts`).
 * - A text frame `broadcast <bytes> <per second>` starts sending one frame of
 *   that size to every connected client at that rate, the same buffer to all
 *   (as a room broadcasts a patch); `stop` stops it (`bench/fanout.ts`).
 * - Connections that send nothing cost only what `ws` keeps per socket
 *   (`bench/client-memory.ts`).
 *
 * Prints `{"port": …}` on stdout once listening. Started by
 * `spawnBareWsServer` in bench-support.ts.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", maxPayload: 64 * 1024 });
let broadcasting: NodeJS.Timeout | undefined;

function command(text: string): void {
  const [verb, bytes, perSecond] = text.split(" ");
  clearInterval(broadcasting);
  broadcasting = undefined;
  if (verb !== "broadcast") return;
  const frame = Buffer.alloc(Number(bytes), 1);
  broadcasting = setInterval(() => {
    for (const client of wss.clients) client.send(frame, { binary: true });
  }, 1000 / Number(perSecond));
}

wss.on("connection", (socket) => {
  socket.on("message", (data: Buffer, isBinary) => {
    if (!isBinary) return command(data.toString());
    for (const client of wss.clients) client.send(data, { binary: true });
  });
});
wss.on("listening", () => process.stdout.write(`${JSON.stringify({ port: (wss.address() as AddressInfo).port })}\n`));
