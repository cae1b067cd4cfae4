import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { redisScript } from "./redis-scripts.js";
import { withinTime } from "./time-limit.js";

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
 * GCRA (a token bucket kept as one timestamp per key): `burst` tokens at
 * once, then `ratePerSecond` sustained; a message takes `cost` tokens
 * (ARGV[3]) at once or none. Redis' own clock (`TIME`) is the time source, so
 * every process agrees however their clocks drift. Returns {1, 0} when
 * admitted, {0, microseconds until it would be}.
 */
const tokenBucketScript = redisScript(`
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local after = tat + interval * cost
if after - now > capacity then return {0, after - now - capacity} end
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1)
return {1, 0}`);

/** A token bucket's settings: `burst` tokens at once, refilled at `ratePerSecond`. */
export interface TokenBucketLimits {
  ratePerSecond: number;
  burst: number;
}

/**
 * A burst-capable limit counted in Redis: at most `burst` tokens at once and
 * `ratePerSecond` on average, per key, shared by every server process.
 */
export function createTokenBucketLimiter(redis: Redis, prefix: string, name: string, limits: TokenBucketLimits) {
  const intervalMicros = Math.max(1, Math.round(1_000_000 / limits.ratePerSecond));
  const capacityMicros = intervalMicros * limits.burst;
  const keyPrefix = `${prefix}:rl:${name}:`;
  return {
    limits,
    /** Takes `cost` tokens (one by default) for `key`: true when admitted, false when over the limit (nothing taken). */
    /** @throws AppError UNAVAILABLE when Redis does not answer within {@link RATE_LIMIT_ANSWER_MS}. */
    async take(key: string, cost = 1): Promise<boolean> {
      const [admitted] = (await withinTime(
        tokenBucketScript(redis, [`${keyPrefix}${key}`], [intervalMicros, capacityMicros, cost]),
        RATE_LIMIT_ANSWER_MS,
        "The rate limiter is not answering; try again in a moment.",
      )) as [number, number];
      return admitted === 1;
    },
    /** Forgets `key`'s bucket. */
    async reset(key: string): Promise<void> {
      await redis.del(`${keyPrefix}${key}`);
    },
  };
}
/**
 * How long a message waits for its rate-limit decision. During a Redis outage
 * ioredis queues commands for up to ~30 s; a player should hear UNAVAILABLE
 * at once instead of silence.
 */
export const RATE_LIMIT_ANSWER_MS = 2_000;

export type TokenBucketLimiter = ReturnType<typeof createTokenBucketLimiter>;

/**
 * A room's per-user message budget with a price per message type: one token
 * bucket per user (so a user's messages of every type, on every connection and
 * process, draw on one budget), where a message of type `t` costs `costs[t]`
 * tokens. A type alone is therefore limited to `burst / cost` at once and
 * `ratePerSecond / cost` sustained: cheap, frequent messages (bids, chat
 * lines) cost 1, rarer and heavier ones more. Messages that name no known type
 * or fail validation cost {@link UNPARSED_MESSAGE_COST}: they cost the server
 * only a parse, yet still count, so garbage cannot be sent for free.
 */
export function createMessageRateLimiter<T extends string>(
  redis: Redis,
  prefix: string,
  name: string,
  limits: TokenBucketLimits & { costs: Readonly<Record<T, number>> },
) {
  const bucket = createTokenBucketLimiter(redis, prefix, name, { ratePerSecond: limits.ratePerSecond, burst: limits.burst });
  return {
    limits,
    /** The tokens a message of `type` costs; `undefined` for one that did not parse. */
    costOf(type: T | undefined): number {
      return type === undefined ? UNPARSED_MESSAGE_COST : limits.costs[type];
    },
    /** Takes the price of one message of `type` (or of an unparsed message) from `key`'s budget: true when admitted. */
    take(key: string, type: T | undefined): Promise<boolean> {
      return bucket.take(key, this.costOf(type));
    },
    reset: bucket.reset,
  };
}
export type MessageRateLimiter<T extends string> = ReturnType<typeof createMessageRateLimiter<T>>;

/** What a malformed or unknown message costs: a parse, the cheapest thing a room does. */
export const UNPARSED_MESSAGE_COST = 1;
