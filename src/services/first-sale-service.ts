import { z } from "zod";
import { ErrorCode } from "../protocol/error-codes.js";
import { landExists, landTerrain } from "../domain/world/index.js";
import { serializableStatement, sql, sqlState, type DatabasePool } from "../db/database.js";
import type { LandChangePublisher } from "./land-changes.js";
import { emptyLandView } from "./land-view.js";
import type { Metrics } from "./metrics.js";
import { findStoredOutcome, type StoredOutcome } from "./request-results.js";
import type { WorldConfigService } from "./world-config-service.js";

export interface FirstSaleJob {
  userId: string;
  username: string;
  req: string;
  x: number;
  y: number;
}

export interface FirstSaleData {
  land_id: string;
  x: number;
  y: number;
  price_bdt: number;
  balance_bdt: number;
  transaction_id: string;
}

const failure = (code: ErrorCode, message: string): StoredOutcome => ({ ok: false, error: { code, message } });

const firstSaleResult = z.object({
  config_changed: z.boolean().optional(),
  outcome: z.unknown().optional(),
  land_id: z.string().nullable().optional(),
  updated_at_ms: z.number().optional(),
});

/**
 * The worker side of `buy`: one SERIALIZABLE transaction, retried on
 * serialization failure, written as the SQL function `first_sale` (migration
 * 008) so it costs one round trip. The buyer's available funds (balance −
 * held) must cover the price of the config in force and the land must still
 * be unowned (the unique key on its coordinates decides races); then the buyer
 * is debited, the world account credited through its append-only ledger (no
 * hot row), the land inserted with its terrain copied, and the transaction
 * row, the audit row and the request's answer written. Nothing it reads is
 * written by a purchase of another land, so those never conflict. The land
 * change is announced after the commit.
 */
export function createFirstSaleExecutor(deps: {
  /** A pool made with `serializableByDefault`. */
  serializablePool: DatabasePool;
  pool: DatabasePool;
  worldConfig: WorldConfigService;
  publisher: LandChangePublisher;
  metrics: Metrics;
}) {
  async function attempt(
    job: FirstSaleJob,
  ): Promise<{ outcome: StoredOutcome; landId: string | null; updatedAtMs: number } | "config_changed"> {
    const { world, version } = await deps.worldConfig.current();
    if (!landExists(world, job.x, job.y)) {
      return { outcome: failure(ErrorCode.INVALID_INPUT, `(${job.x}, ${job.y}) is outside the world.`), landId: null, updatedAtMs: 0 };
    }
    const terrain = landTerrain(world, job.x, job.y);
    const result = await serializableStatement(
      deps.serializablePool,
      (pool) =>
        pool.oneFirst(sql.type(z.object({ result: firstSaleResult }))`
          SELECT first_sale(${job.userId}, ${job.req}, ${job.x}, ${job.y}, ${terrain.biome}, ${terrain.elevation},
                            ${terrain.color_hex}, ${terrain.price_bdt}, ${version}) AS result`),
      { onRetry: () => deps.metrics.serializationRetries.labels("first_sale").inc() },
    );
    if (result.config_changed) return "config_changed";
    return { outcome: result.outcome as StoredOutcome, landId: result.land_id ?? null, updatedAtMs: result.updated_at_ms ?? 0 };
  }

  return {
    async execute(job: FirstSaleJob): Promise<StoredOutcome> {
      try {
        for (let tries = 0; tries < 3; tries++) {
          const result = await attempt(job);
          if (result === "config_changed") {
            await deps.worldConfig.refresh();
            continue;
          }
          if (result.outcome.ok && result.landId) {
            // A fresh purchase: owner, no fence, no message, no listing. No need to re-read it.
            await deps.publisher.publishView({
              ...emptyLandView(),
              land_id: result.landId,
              x: job.x,
              y: job.y,
              owner_id: job.userId,
              owner_name: job.username,
              updated_at_ms: result.updatedAtMs, // the database's clock, like every other land change
            });
          }
          return result.outcome;
        }
        throw new Error("the world config kept changing during the purchase");
      } catch (error) {
        const state = sqlState(error);
        if (state === "P0002") return failure(ErrorCode.UNAUTHENTICATED, "The account no longer exists.");
        if (state === "P0003") {
          // Answered before (a re-delivered job): that answer stands.
          const stored = await findStoredOutcome(deps.pool, job.userId, job.req);
          if (stored) return stored;
        }
        throw error;
      }
    },
  };
}
export type FirstSaleExecutor = ReturnType<typeof createFirstSaleExecutor>;
