import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "./logger.js";

/**
 * ioredis clients. BullMQ needs `maxRetriesPerRequest: null` on its
 * connections; every client keeps reconnecting with a capped backoff, so a
 * Redis restart is survived without restarting the process.
 */
export function createRedis(url: string, name: string, overrides: RedisOptions = {}, logger?: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)),
    ...overrides,
  });
  // Without a listener ioredis prints every failed reconnect with a stack
  // trace; log each outage once instead and let the client reconnect.
  let down = false;
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger?.warn({ err: error.message, connection: name }, "redis connection lost; reconnecting");
  });
  redis.on("ready", () => {
    if (down) logger?.info({ connection: name }, "redis connection restored");
    down = false;
  });
  return redis;
}

/**
 * Waits for the first connection.
 * @throws an Error naming the URL when Redis does not answer in time.
 */
export async function waitForRedis(redis: Redis, url: string, timeoutMs = 5_000): Promise<void> {
  const safeUrl = redactUrl(url);
  await Promise.race([
    redis.ping(),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`Redis at ${safeUrl} did not answer within ${timeoutMs / 1000} s`)), timeoutMs).unref(),
    ),
  ]);
}

/** A URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
