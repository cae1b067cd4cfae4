import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { redisScript } from "./redis-scripts.js";

/**
 * Fixed-window limits counted in Redis, so every server process shares them.
 * Each limiter has a name (its key prefix), points per window and the window.
 */
export function createRateLimiter(redis: Redis, prefix: string, name: string, points: number, durationSeconds: number) {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}:rl:${name}`,
    points,
    duration: durationSeconds,
  });
  return {
    /**
     * Takes one point for `key`.
     * @throws AppError RATE_LIMITED when the window is used up.
     */
    async consume(key: string, points = 1): Promise<void> {
      try {
        await limiter.consume(key, points);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
          throw new AppError(ErrorCode.RATE_LIMITED, `Too many attempts; try again in ${seconds} s.`, {
            retryAfterSeconds: seconds,
          });
        }
        throw error;
      }
    },
    /** Forgets the count for `key` (after a successful login, for example). */
    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * GCRA (a token bucket kept as one timestamp per key): `burst` messages at
 * once, then `ratePerSecond` sustained. Redis' own clock (`TIME`) is the
 * time source, so every process agrees however their clocks drift. Returns
 * {1, 0} when admitted, {0, microseconds until the next one would be}.
 */
const tokenBucketScript = redisScript(`
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local after = tat + interval
if after - now > capacity then return {0, after - now - capacity} end
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1)
return {1, 0}`);

/**
 * A burst-capable limit counted in Redis: at most `burst` at once and
 * `ratePerSecond` on average, per key, shared by every server process.
 */
export function createTokenBucketLimiter(
  redis: Redis,
  prefix: string,
  name: string,
  limits: { ratePerSecond: number; burst: number },
) {
  const intervalMicros = Math.max(1, Math.round(1_000_000 / limits.ratePerSecond));
  const capacityMicros = intervalMicros * limits.burst;
  const keyPrefix = `${prefix}:rl:${name}:`;
  return {
    limits,
    /** Takes one token for `key`: true when admitted, false when over the limit. */
    async take(key: string): Promise<boolean> {
      const [admitted] = (await tokenBucketScript(redis, [`${keyPrefix}${key}`], [intervalMicros, capacityMicros])) as [number, number];
      return admitted === 1;
    },
    /** Forgets `key`'s bucket. */
    async reset(key: string): Promise<void> {
      await redis.del(`${keyPrefix}${key}`);
    },
  };
}
export type TokenBucketLimiter = ReturnType<typeof createTokenBucketLimiter>;
