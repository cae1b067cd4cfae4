/**
 * `npm run cluster -- --servers 2 --workers 1`: a local cluster for load
 * tests. Starts N server processes (`src/main.ts` with RUN_WORKERS=false on
 * ports base, base+1, …, each with PUBLIC_ADDRESS=127.0.0.1:<port>) and M
 * worker processes (`src/worker-main.ts`), all sharing this environment's
 * DATABASE_URL, REDIS_URL and QUEUE_PREFIX. Prefixes each process's output
 * with its name, waits until every server answers /health, and on Ctrl-C or
 * SIGTERM stops them all (SIGTERM, then SIGKILL after the shutdown timeout).
 * If a process dies on its own, the cluster stops too (unless --keep-going).
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { Command, InvalidArgumentError } from "commander";
import type { Config } from "../src/config.js";
import { loadConfigOrExit } from "./cli-context.js";
import { redactUrl } from "../src/redis.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const HEALTH_TIMEOUT_MS = 60_000;
const WORKER_READY_MESSAGE = "workers running";

const count = (name: string, min: number, max: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
  return parsed;
};

const flags = new Command("cluster")
  .description("Start several server and worker processes sharing one PostgreSQL and one Redis (settings from the environment, as for npm start).")
  .option("--servers <n>", "server processes (HTTP + WebSocket, no workers)", count("--servers", 1, 64), 2)
  .option("--workers <n>", "worker-only processes (BullMQ)", count("--workers", 0, 64), 1)
  .option("--base-port <port>", "port of the first server; the others follow", count("--base-port", 1, 65_535), 2567)
  .option("--keep-going", "keep the others running when one process dies", false)
  .parse()
  .opts<{ servers: number; workers: number; basePort: number; keepGoing: boolean }>();

interface Member {
  name: string;
  child: ChildProcess;
  port?: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: boolean;
}

const members: Member[] = [];
let stopping = false;

const config: Config = loadConfigOrExit();
if (flags.basePort + flags.servers - 1 > 65_535) fail("--base-port + --servers goes past port 65535.");

process.on("SIGINT", () => void stopAll("SIGINT", 0));
process.on("SIGTERM", () => void stopAll("SIGTERM", 0));

const ports = Array.from({ length: flags.servers }, (_, i) => flags.basePort + i);
for (const port of ports) {
  if (!(await portIsFree(port))) fail(`Port ${port} is in use; stop what listens there or choose another --base-port.`);
}

say(
  `Starting ${flags.servers} server(s) on ports ${ports.join(", ")} and ${flags.workers} worker(s); ` +
    `DATABASE_URL=${redactUrl(config.databaseUrl)} REDIS_URL=${redactUrl(config.redisUrl)} QUEUE_PREFIX=${config.queuePrefix}`,
);

// The first server creates and migrates the database alone; the rest start together once it is up.
const first = startServer(ports[0]!, 1);
await waitForHealth(first);
const rest = ports.slice(1).map((port, i) => startServer(port, i + 2));
const workers = Array.from({ length: flags.workers }, (_, i) => startWorker(i + 1));
await Promise.all([...rest.map(waitForHealth), ...workers.map(waitForWorker)]);

const urls = ports.map((port) => `http://127.0.0.1:${port}`);
say(
  [
    `Cluster ready (Ctrl-C stops it):`,
    ...members.map((member) => `  ${member.name.padEnd(10)} pid ${member.child.pid}${member.port ? `  http://127.0.0.1:${member.port}` : ""}`),
    `Load it with: npm run loadtest -- --url ${urls.join(" ")} --clients 100 --duration 60`,
  ].join("\n"),
);

function startServer(port: number, index: number): Member {
  return startMember(`server-${index}`, "src/main.ts", { PORT: String(port), PUBLIC_ADDRESS: `127.0.0.1:${port}`, RUN_WORKERS: "false" }, port);
}

function startWorker(index: number): Member {
  return startMember(`worker-${index}`, "src/worker-main.ts", {});
}

function startMember(name: string, entry: string, overrides: Record<string, string>, port?: number): Member {
  // The same Node.js as this script (the project's Node 24), with tsx as its loader.
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...overrides },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const member: Member = {
    name,
    child,
    port,
    ready: false,
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
  };
  members.push(member);
  const prefix = `[${name}${port ? `:${port}` : ""}]`;
  for (const [stream, out] of [
    [child.stdout!, process.stdout],
    [child.stderr!, process.stderr],
  ] as const) {
    createInterface({ input: stream }).on("line", (line) => {
      if (!member.ready && line.includes(WORKER_READY_MESSAGE)) member.ready = true;
      out.write(`${prefix} ${line}\n`);
    });
  }
  void member.exited.then(({ code, signal }) => {
    if (stopping) return;
    say(`${name} exited on its own (${signal ?? `code ${code}`}).`);
    if (!flags.keepGoing) void stopAll(`${name} died`, 1);
  });
  return member;
}

async function waitForHealth(member: Member): Promise<void> {
  const url = `http://127.0.0.1:${member.port}/health`;
  const started = Date.now();
  while (!stopping) {
    if (member.child.exitCode !== null || member.child.signalCode !== null) return; // reported by the exit handler
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        member.ready = true;
        say(`${member.name} is healthy (${((Date.now() - started) / 1000).toFixed(1)} s).`);
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() - started > HEALTH_TIMEOUT_MS) {
      say(`${member.name} did not answer ${url} within ${HEALTH_TIMEOUT_MS / 1000} s.`);
      await stopAll("start-up timed out", 1);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Workers have no HTTP: ready when they log "workers running" (info level), or still alive after 10 s if the log level hides it. */
async function waitForWorker(member: Member): Promise<void> {
  const started = Date.now();
  while (!stopping && !member.ready && member.child.exitCode === null && member.child.signalCode === null) {
    if (Date.now() - started > 10_000) {
      say(`${member.name} is running (its start-up message is below LOG_LEVEL).`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (member.ready) say(`${member.name} is running its workers (${((Date.now() - started) / 1000).toFixed(1)} s).`);
}

async function stopAll(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`Stopping ${members.length} process(es) (${reason})…`);
  const alive = members.filter((member) => member.child.exitCode === null && member.child.signalCode === null);
  for (const member of alive) member.child.kill("SIGTERM");
  // Each process stops within its own SHUTDOWN_TIMEOUT_MS; give it a little more before SIGKILL.
  const killer = setTimeout(() => {
    for (const member of alive) {
      if (member.child.exitCode === null && member.child.signalCode === null) {
        say(`${member.name} did not stop in time; killing it.`);
        member.child.kill("SIGKILL");
      }
    }
  }, config.shutdownTimeoutMs + 2_000);
  const results = await Promise.all(members.map((member) => member.exited));
  clearTimeout(killer);
  const unclean = results.filter(({ code, signal }) => code !== 0 && signal !== "SIGTERM").length;
  say(`All stopped${unclean ? ` (${unclean} did not exit cleanly)` : ""}.`);
  process.exit(exitCode || (unclean ? 1 : 0));
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "0.0.0.0", () => probe.close(() => resolve(true)));
  });
}

function say(text: string): void {
  process.stdout.write(`[cluster] ${text.replace(/\n/g, "\n[cluster] ")}\n`);
}

function fail(sentence: string): never {
  process.stderr.write(`${sentence}\n`);
  process.exit(1);
}
