import { Client, type Room } from "@colyseus/sdk";
import type { ResultMessage } from "../../src/protocol/room-messages.js";

/** An SDK client for the test server, with a token when given. */
export function sdkClient(wsUrl: string, token?: string): Client {
  const client = new Client(wsUrl);
  if (token) client.auth.token = token;
  return client;
}

/** The error a refused join throws: its HTTP-range code and the contract's error code as message. */
export async function joinRefusal(join: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    const room = (await join) as Room;
    await room.leave();
  } catch (error) {
    return { code: (error as { code: number }).code, message: (error as Error).message };
  }
  throw new Error("the join was expected to be refused but succeeded");
}

/**
 * Collects `result` messages of a room by `req`, so a test can send and await
 * the one answer each message gets.
 */
export function resultCollector(room: Room) {
  const results: ResultMessage[] = [];
  const waiters: Array<{ req: string; count: number; resolve: (r: ResultMessage[]) => void }> = [];
  room.onMessage("result", (message: ResultMessage) => {
    results.push(message);
    for (const waiter of [...waiters]) {
      const matching = results.filter((r) => r.req === waiter.req);
      if (matching.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(matching);
      }
    }
  });
  return {
    results,
    /** Waits until `count` results with this `req` arrived (default one). */
    waitFor(req: string, count = 1, timeoutMs = 10_000): Promise<ResultMessage[]> {
      const matching = results.filter((r) => r.req === req);
      if (matching.length >= count) return Promise.resolve(matching);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${count} result(s) for req "${req}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          req,
          count,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    /** Sends a message and waits for its result. */
    async send(type: string, payload: Record<string, unknown>, timeoutMs?: number): Promise<ResultMessage> {
      const req = String(payload.req ?? "");
      const before = results.filter((r) => r.req === req).length;
      room.send(type, payload);
      const all = await this.waitFor(req, before + 1, timeoutMs);
      return all[all.length - 1]!;
    },
  };
}

/** Polls a condition until it holds (state patches arrive asynchronously). */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Leaves every room, not waiting more than `timeoutMs` for one the server already closed. */
export async function leaveAll(rooms: Iterable<Room>, timeoutMs = 2_000): Promise<void> {
  await Promise.allSettled(
    [...rooms].map((room) => Promise.race([room.leave(), new Promise((resolve) => setTimeout(resolve, timeoutMs))])),
  );
}
