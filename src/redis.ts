import { Redis, type RedisOptions } from "ioredis";

/**
 * ioredis clients. BullMQ needs `maxRetriesPerRequest: null` on its
 * connections; every client keeps reconnecting with a capped backoff, so a
 * Redis restart is survived without restarting the process.
 */
export function createRedis(url: string, name: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)),
    ...overrides,
  });
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
