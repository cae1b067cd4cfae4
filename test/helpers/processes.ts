import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
// The Node.js 24 binary itself with tsx as a loader, not the `tsx` wrapper
// command: a signal sent to the child must reach the server process, and the
// wrapper cannot forward SIGKILL (it would leave the real process running).
const NODE = path.join(ROOT, "node_modules", ".bin", "node");

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts one of the project's entry points (`src/main.ts`, `src/worker-main.ts`, …) as its own process. */
export function spawnEntry(entry: string, env: Record<string, string>, args: string[] = []): Spawned {
  const child = spawn(NODE, ["--import", "tsx", path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => (out += chunk));
  child.stderr!.on("data", (chunk) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls a URL until it answers 200, or fails after the timeout. */
export async function waitForHttpOk(url: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Kills spawned processes outright (test teardown) and waits until each has exited. */
export async function killAll(spawned: readonly Spawned[]): Promise<void> {
  for (const one of spawned) one.child.kill("SIGKILL");
  await Promise.all(spawned.map((one) => one.exited));
}
