import type { Redis } from "ioredis";
import { sql, type DatabasePool } from "../db/database.js";

const TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), TIMEOUT_MS).unref()),
  ]);
}

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
