import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on first use and again after
 * a Redis restart (NOSCRIPT), so the text travels once, not per call.
 */
export function redisScript(source: string) {
  const sha = createHash("sha1").update(source).digest("hex");
  return async function run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
