import type { Redis } from "ioredis";
import { sql, type DatabasePool } from "../db/database.js";

import { withinTime } from "./time-limit.js";

const TIMEOUT_MS = 2_000;

const withTimeout = <T>(promise: Promise<T>) => withinTime(promise, TIMEOUT_MS, "timed out");

/** Checks that PostgreSQL and Redis answer, each within two seconds. */
export function createHealthService(deps: { pool: DatabasePool; redis: Redis; isShuttingDown: () => boolean }) {
  return {
    async check() {
      const [postgres, redis] = await Promise.all([
        withTimeout(deps.pool.oneFirst(sql.unsafe`SELECT 1`)).then(
          () => "ok" as const,
          () => "down" as const,
        ),
        withTimeout(deps.redis.ping()).then(
          () => "ok" as const,
          () => "down" as const,
        ),
      ]);
      const healthy = postgres === "ok" && redis === "ok" && !deps.isShuttingDown();
      return {
        status: healthy ? ("ok" as const) : ("unavailable" as const),
        postgres,
        redis,
        ...(deps.isShuttingDown() ? { shutting_down: true } : {}),
      };
    },
  };
}
export type HealthService = ReturnType<typeof createHealthService>;
