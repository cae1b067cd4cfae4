/**
 * Benchmark: the land chat relaying 1 KiB messages among 100 clients in one
 * land's room (every message broadcast to all 100, the sender included, and
 * stored before it is broadcast), against a bare `ws` server that broadcasts
 * frames of the same size to the same number of clients in the same run.
 *
 * - Saturation: each client sends its next message as soon as its previous
 *   one is acknowledged (closed loop). Deliveries per second = messages ×
 *   recipients actually received by the clients. The bare server runs the
 *   same loop (a client's own echo stands for its acknowledgement).
 * - Half load: messages are sent at half of the saturation message rate
 *   (open loop, round-robin over the clients); latency is from send to
 *   receipt, for every (message, other client) pair, and per message until
 *   the last other client has it.
 * - Persistence: the server's `vlw_chat_persist_backlog` gauge is sampled
 *   during saturation (does it grow?), and at the end the rows stored for the
 *   land are compared with the messages acknowledged.
 *
 * The server runs as its own process with the per-user rate limit lifted
 * (CHAT_RATE_LIMIT_*), so the limiter measures as a Redis call per message
 * but never refuses. Clients, server, PostgreSQL and Redis share the machine.
 *
 * Run alone: `npx tsx bench/chat.ts` (prints a table and one JSON line).
 */
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import type { Room } from "@colyseus/sdk";
import { registerUser } from "../test/helpers/http-client.js";
import { resultCollector, sdkClient } from "../test/helpers/room-client.js";
import type { ChatMessageView, ResultMessage } from "../src/protocol/room-messages.js";
import { fundedPlayers, percentile, round, spawnBareWsServer, startBenchServer, type BenchServer } from "./bench-support.js";

const CLIENTS = 100;
const MESSAGE_BYTES = 1024;
/** Bytes at the start of each ciphertext that identify it: sender (u16), phase (u8), sequence (u32). */
const HEADER_BYTES = 7;
const Phase = { WARM: 1, SATURATION: 2, HALF: 3 } as const;

interface Receipt {
  sender: number;
  phase: number;
  seq: number;
}

function writeHeader(buffer: Buffer, offset: number, sender: number, phase: number, seq: number): void {
  buffer.writeUInt16BE(sender, offset);
  buffer.writeUInt8(phase, offset + 2);
  buffer.writeUInt32BE(seq, offset + 3);
}

function readHeader(buffer: Buffer, offset: number): Receipt {
  return { sender: buffer.readUInt16BE(offset), phase: buffer.readUInt8(offset + 2), seq: buffer.readUInt32BE(offset + 3) };
}

/** Counts deliveries and, for the half-load phase, the send → receipt latency of each (message, other client). */
class DeliveryLog {
  deliveries = 0;
  measuring = false;
  readonly sentAt = new Map<string, number>();
  readonly pairLatencies: number[] = [];
  /** Per message of the half-load phase: receipts by others so far, and the last receipt time. */
  readonly lastReceipt = new Map<string, { count: number; at: number }>();

  receive(receiver: number, receipt: Receipt, now: number): void {
    if (this.measuring) this.deliveries++;
    if (receipt.phase !== Phase.HALF || receipt.sender === receiver) return;
    const key = `${receipt.sender}:${receipt.seq}`;
    const sent = this.sentAt.get(key);
    if (sent === undefined) return;
    this.pairLatencies.push(now - sent);
    const entry = this.lastReceipt.get(key) ?? { count: 0, at: 0 };
    entry.count++;
    entry.at = Math.max(entry.at, now);
    this.lastReceipt.set(key, entry);
  }

  /** Per message: the time until every other client had it (messages that reached everyone only). */
  allOthersLatencies(others: number): number[] {
    const latencies: number[] = [];
    for (const [key, entry] of this.lastReceipt) {
      if (entry.count >= others) latencies.push(entry.at - this.sentAt.get(key)!);
    }
    return latencies;
  }
}

interface Sender {
  send(phase: number, seq: number): void;
  /** Resolves on the acknowledgement of the message with this sequence number. */
  sendAndWait(phase: number, seq: number): Promise<boolean>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// The chat room through the real SDK.

async function chatClients(server: BenchServer, landId: string, log: DeliveryLog) {
  const [owner] = await fundedPlayers(server, 1, 100_000);
  const chunk = await sdkClient(server.wsUrl, owner!.token).joinOrCreate("chunk", { cx: 0, cy: 0 });
  const bought = await resultCollector(chunk).send("buy", { req: "bench-land", x: 3, y: 3 }, 30_000);
  if (!bought.ok) throw new Error(`could not buy the bench land: ${JSON.stringify(bought)}`);
  await chunk.leave();
  const land = await server.db.query("SELECT land_id FROM lands WHERE x = 3 AND y = 3");
  landId = land.rows[0].land_id as string;

  const players = [owner!];
  for (let i = 1; i < CLIENTS; i += 10) {
    players.push(...(await Promise.all(Array.from({ length: Math.min(10, CLIENTS - i) }, () => registerUser(server.api, "bench")))));
  }
  let frameBytes = 0;
  let acked = 0;
  const iv = randomBytes(12).toString("base64");
  const senders: Sender[] = await Promise.all(
    players.map(async (player, index) => {
      const room: Room = await sdkClient(server.wsUrl, player.token).joinOrCreate("land_chat", { land_id: landId });
      const waiting = new Map<string, (ok: boolean) => void>();
      room.onMessage("result", (result: ResultMessage) => {
        if (result.ok) acked++;
        waiting.get(result.req)?.(result.ok);
        waiting.delete(result.req);
      });
      room.onMessage("msg", (message: ChatMessageView) => {
        const head = Buffer.from(message.ciphertext.slice(0, 12), "base64");
        log.receive(index, readHeader(head, 0), performance.now());
      });
      room.onMessage("history", () => undefined);
      if (index === 0) {
        // The size of a `msg` frame on the wire, for the bare server's frames.
        const ws = (room.connection as unknown as { transport: { ws: WebSocket } }).transport.ws;
        ws.addEventListener("message", (event) => {
          const size = (event.data as ArrayBuffer).byteLength;
          if (size > MESSAGE_BYTES) frameBytes = Math.max(frameBytes, size);
        });
      }
      const body = randomBytes(MESSAGE_BYTES);
      const payload = (phase: number, seq: number) => {
        writeHeader(body, 0, index, phase, seq);
        return { req: `${phase}-${seq}`, ciphertext: body.toString("base64"), iv, v: "1.0", type: "text" };
      };
      return {
        send(phase, seq) {
          if (phase === Phase.HALF) log.sentAt.set(`${index}:${seq}`, performance.now());
          room.send("msg", payload(phase, seq));
        },
        sendAndWait(phase, seq) {
          return new Promise<boolean>((resolve) => {
            waiting.set(`${phase}-${seq}`, resolve);
            this.send(phase, seq);
          });
        },
        async close() {
          await room.leave();
        },
      } satisfies Sender;
    }),
  );
  return { senders, landId, frameBytes: () => frameBytes, acked: () => acked };
}

// ---------------------------------------------------------------------------
// The bare baseline: `bench/bare-ws-server.ts` (every frame it receives goes
// to every connected client) and raw `ws` clients.

async function bareClients(frameBytes: number, log: DeliveryLog) {
  const bare = await spawnBareWsServer();
  const senders: Sender[] = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, index) => {
      const socket = new WebSocket(bare.url);
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      const waiting = new Map<number, (ok: boolean) => void>();
      socket.on("message", (data: Buffer) => {
        const receipt = readHeader(data, 0);
        log.receive(index, receipt, performance.now());
        if (receipt.sender === index) {
          waiting.get(receipt.seq)?.(true);
          waiting.delete(receipt.seq);
        }
      });
      const frame = randomBytes(frameBytes);
      return {
        send(phase, seq) {
          if (phase === Phase.HALF) log.sentAt.set(`${index}:${seq}`, performance.now());
          writeHeader(frame, 0, index, phase, seq);
          socket.send(frame);
        },
        sendAndWait(phase, seq) {
          return new Promise<boolean>((resolve) => {
            waiting.set(seq, resolve);
            this.send(phase, seq);
          });
        },
        async close() {
          socket.close();
        },
      } satisfies Sender;
    }),
  );
  return {
    senders,
    async stop() {
      await Promise.all(senders.map((sender) => sender.close()));
      await bare.stop();
    },
  };
}

// ---------------------------------------------------------------------------
// The two loads, the same for both targets.

/** Message numbers, unique over the whole run. */
let nextSequence = 1_000;

/** Every client sends its next message once the previous one is acknowledged. */
async function closedLoop(senders: Sender[], log: DeliveryLog, durationMs: number) {
  let messages = 0;
  log.deliveries = 0;
  log.measuring = true;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    senders.map(async (sender) => {
      while (performance.now() < deadline) {
        // A req is also an idempotency key: a repeated one would be answered without a new message.
        if (await sender.sendAndWait(Phase.SATURATION, nextSequence++)) messages++;
      }
    }),
  );
  log.measuring = false;
  const seconds = (performance.now() - started) / 1000;
  return { messagesPerSecond: messages / seconds, deliveriesPerSecond: log.deliveries / seconds };
}

/** Sends at a fixed message rate, round-robin over the clients, without waiting for acknowledgements. */
async function openLoop(senders: Sender[], log: DeliveryLog, rate: number, durationMs: number) {
  const intervalMs = 1000 / rate;
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < durationMs) {
    const wait = started + sent * intervalMs - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    senders[sent % senders.length]!.send(Phase.HALF, nextSequence++);
    sent++;
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // let the last deliveries land
  const pairs = [...log.pairLatencies].sort((a, b) => a - b);
  const everyone = log.allOthersLatencies(senders.length - 1).sort((a, b) => a - b);
  return {
    rate: sent / (durationMs / 1000),
    sent,
    pairP50: percentile(pairs, 50),
    pairP99: percentile(pairs, 99),
    allOthersP99: percentile(everyone, 99),
    reachedEveryone: everyone.length,
  };
}

async function readGauge(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split("\n").find((entry) => entry.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : Number.NaN;
}

const ROUNDS = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

export async function benchChat(opts: { saturationMs?: number; halfLoadMs?: number } = {}) {
  const saturationMs = opts.saturationMs ?? 4_000;
  const halfLoadMs = opts.halfLoadMs ?? 6_000;
  const server = await startBenchServer({ CHAT_RATE_LIMIT_PER_SECOND: "1000000", CHAT_RATE_LIMIT_BURST: "1000000" });
  let bare: Awaited<ReturnType<typeof bareClients>> | undefined;
  try {
    const chatLog = new DeliveryLog();
    const chat = await chatClients(server, "", chatLog);
    // Warm-up: two messages from each client; this also measures the frame size.
    for (let seq = 0; seq < 2; seq++) await Promise.all(chat.senders.map((sender) => sender.sendAndWait(Phase.WARM, seq)));
    const bareLog = new DeliveryLog();
    bare = await bareClients(chat.frameBytes(), bareLog);
    for (let seq = 0; seq < 2; seq++) await Promise.all(bare.senders.map((sender) => sender.sendAndWait(Phase.WARM, seq)));

    // The persistence backlog, sampled while the chat is loaded.
    let phase: "idle" | "saturation" | "half" = "idle";
    const backlog = { saturation: [] as number[], half: [] as number[] };
    const sampler = setInterval(() => {
      const now = phase;
      if (now === "idle") return;
      void readGauge(server.baseUrl, "vlw_chat_persist_backlog").then((value) => backlog[now].push(value));
    }, 250);

    // Saturation: chat and bare rounds alternate (the machine is shared and noisy); medians are reported.
    const chatRounds: Array<Awaited<ReturnType<typeof closedLoop>> & { serverCpu: number; clientCpu: number }> = [];
    const bareRounds: Array<Awaited<ReturnType<typeof closedLoop>>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const serverCpuBefore = await readGauge(server.baseUrl, "vlw_process_cpu_seconds_total");
      const clientCpuBefore = process.cpuUsage();
      phase = "saturation";
      const result = await closedLoop(chat.senders, chatLog, saturationMs);
      phase = "idle";
      const clientCpu = process.cpuUsage(clientCpuBefore);
      chatRounds.push({
        ...result,
        serverCpu: (100 * ((await readGauge(server.baseUrl, "vlw_process_cpu_seconds_total")) - serverCpuBefore)) / (saturationMs / 1000),
        clientCpu: (100 * (clientCpu.user + clientCpu.system)) / 1e6 / (saturationMs / 1000),
      });
      bareRounds.push(await closedLoop(bare.senders, bareLog, saturationMs));
    }
    const messagesPerSecond = median(chatRounds.map((r) => r.messagesPerSecond));
    const deliveriesPerSecond = median(chatRounds.map((r) => r.deliveriesPerSecond));
    const bareDeliveriesPerSecond = median(bareRounds.map((r) => r.deliveriesPerSecond));

    // Half load: both targets at half of the chat's saturation message rate.
    phase = "half";
    const half = await openLoop(chat.senders, chatLog, messagesPerSecond / 2, halfLoadMs);
    phase = "idle";
    clearInterval(sampler);
    const bareHalf = await openLoop(bare.senders, bareLog, messagesPerSecond / 2, halfLoadMs);

    // Every acknowledged message is a row, and nothing more is waiting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = Number(
      (await server.db.query("SELECT count(*)::int AS n FROM messages WHERE land_id = $1", [chat.landId])).rows[0].n,
    );
    const acknowledged = chat.acked();
    const backlogAtEnd = await readGauge(server.baseUrl, "vlw_chat_persist_backlog");
    await Promise.allSettled(chat.senders.map((sender) => sender.close()));

    const third = Math.max(1, Math.floor(backlog.saturation.length / 3));
    const backlogFirstThird = mean(backlog.saturation.slice(0, third));
    const backlogLastThird = mean(backlog.saturation.slice(-third));
    return {
      clients: CLIENTS,
      messageBytes: MESSAGE_BYTES,
      frameBytes: chat.frameBytes(),
      rounds: ROUNDS,
      messagesPerSecond: round(messagesPerSecond, 1),
      deliveriesPerSecond: round(deliveriesPerSecond, 0),
      bareDeliveriesPerSecond: round(bareDeliveriesPerSecond, 0),
      ratio: round(deliveriesPerSecond / bareDeliveriesPerSecond, 3),
      ratioPerRound: chatRounds.map((r, i) => round(r.deliveriesPerSecond / bareRounds[i]!.deliveriesPerSecond, 3)).join(" "),
      serverCpuPercent: round(median(chatRounds.map((r) => r.serverCpu)), 0),
      clientCpuPercent: round(median(chatRounds.map((r) => r.clientCpu)), 0),
      halfLoadRate: round(half.rate, 1),
      halfLoadP50Ms: round(half.pairP50, 1),
      halfLoadP99Ms: round(half.pairP99, 1),
      halfLoadAllOthersP99Ms: round(half.allOthersP99, 1),
      bareHalfLoadP99Ms: round(bareHalf.pairP99, 1),
      saturationBacklogMax: Math.max(...backlog.saturation),
      halfLoadBacklogMax: Math.max(...backlog.half),
      backlogGrows: backlogLastThird > 2 * backlogFirstThird + 100 || backlogAtEnd > 0,
      acknowledged,
      stored,
      storedEqualsAcknowledged: stored === acknowledged,
    };
  } finally {
    await bare?.stop();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchChat();
  console.table(result);
  console.log(JSON.stringify({ bench: "chat", ...result }));
  process.exit(0);
}
