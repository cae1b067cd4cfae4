import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";

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
