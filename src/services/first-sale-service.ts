import { z } from "zod";
import { ErrorCode } from "../protocol/error-codes.js";
import { landExists, landTerrain } from "../domain/world/index.js";
import { serializableStatement, sql, type DatabasePool } from "../db/database.js";
import { createGroupCommitter } from "./group-commit.js";
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
  /** The SQLSTATE a purchase raised inside `first_sales` (its subtransaction was undone). */
  raised: z.string().optional(),
});
type FirstSaleResult = z.infer<typeof firstSaleResult>;

/** How many purchases one `first_sales` call decides, and how many such calls run at once. */
export const FIRST_SALE_GROUP_COMMIT = { maxBatch: 64, maxInFlight: 2 };

/** What one purchase of a batch came to: an answer for the buyer, or an error that fails its job (BullMQ retries it). */
type BatchOutcome = { outcome: StoredOutcome } | { error: unknown };

/**
 * The worker side of `buy`. Each purchase is decided by the SQL function
 * `first_sale` (migration 008): the buyer's available funds (balance − held)
 * must cover the price of the config in force and the land must still be
 * unowned (the unique key on its coordinates decides races); then the buyer is
 * debited, the world account credited through its append-only ledger (no hot
 * row), the land inserted with its terrain copied, and the transaction row, the
 * audit row and the request's answer written. Nothing it reads is written by a
 * purchase of another land, so those never conflict.
 *
 * Purchases are group-committed: those that arrive while earlier ones are
 * being written go together into one SERIALIZABLE transaction (`first_sales`,
 * migration 012), each in a subtransaction of its own, retried as a whole on a
 * serialization failure. A purchase's answer is given only after its batch
 * commits, and the land changes are announced after the commit, one message
 * per chunk.
 */
export function createFirstSaleExecutor(deps: {
  /** A pool made with `serializableByDefault`. */
  serializablePool: DatabasePool;
  pool: DatabasePool;
  worldConfig: WorldConfigService;
  publisher: LandChangePublisher;
  metrics: Metrics;
}) {
  /** Decides a batch under the config in force; `"config_changed"` when it changed since it was read. */
  async function attempt(jobs: FirstSaleJob[]): Promise<Array<FirstSaleResult | { outside: true }> | "config_changed"> {
    const { world, version } = await deps.worldConfig.current();
    const inside = jobs.map((job) => landExists(world, job.x, job.y));
    const purchases = jobs
      .filter((_, index) => inside[index])
      .map((job) => {
        const terrain = landTerrain(world, job.x, job.y);
        return {
          user_id: job.userId,
          req: job.req,
          x: job.x,
          y: job.y,
          biome: terrain.biome,
          elevation: terrain.elevation,
          color_hex: terrain.color_hex,
          price_bdt: terrain.price_bdt,
        };
      });
    const decided =
      purchases.length === 0
        ? []
        : await serializableStatement(
            deps.serializablePool,
            (pool) =>
              pool.oneFirst(sql.type(z.object({ results: z.array(firstSaleResult) }))`
                SELECT first_sales(${sql.jsonb(purchases)}, ${version}) AS results`),
            { onRetry: () => deps.metrics.serializationRetries.labels("first_sale").inc() },
          );
    if (decided.some((result) => result.config_changed)) return "config_changed";
    let next = 0;
    return inside.map((isInside) => (isInside ? decided[next++]! : { outside: true as const }));
  }

  async function executeBatch(jobs: FirstSaleJob[]): Promise<BatchOutcome[]> {
    for (let tries = 0; tries < 3; tries++) {
      const results = await attempt(jobs);
      if (results === "config_changed") {
        await deps.worldConfig.refresh();
        continue;
      }
      const outcomes = await Promise.all(results.map((result, index) => toOutcome(jobs[index]!, result)));
      await deps.publisher.publishViews(
        results.flatMap((result, index) => {
          const job = jobs[index]!;
          if ("outside" in result || !result.land_id || !(result.outcome as StoredOutcome).ok) return [];
          // A fresh purchase: owner, no fence, no message, no listing. No need to re-read it.
          return [{
            ...emptyLandView(),
            land_id: result.land_id,
            x: job.x,
            y: job.y,
            owner_id: job.userId,
            owner_name: job.username,
            updated_at_ms: result.updated_at_ms ?? 0, // the database's clock, like every other land change
          }];
        }),
      );
      return outcomes;
    }
    throw new Error("the world config kept changing during the purchase");
  }

  async function toOutcome(job: FirstSaleJob, result: FirstSaleResult | { outside: true }): Promise<BatchOutcome> {
    if ("outside" in result) return { outcome: failure(ErrorCode.INVALID_INPUT, `(${job.x}, ${job.y}) is outside the world.`) };
    if (result.raised === "P0002") return { outcome: failure(ErrorCode.UNAUTHENTICATED, "The account no longer exists.") };
    if (result.raised === "P0003") {
      // Answered before (a re-delivered job): that answer stands.
      const stored = await findStoredOutcome(deps.pool, job.userId, job.req);
      return stored ? { outcome: stored } : { error: new Error(`request ${job.req} was answered but its answer is not stored`) };
    }
    return { outcome: result.outcome as StoredOutcome };
  }

  const committer = createGroupCommitter(FIRST_SALE_GROUP_COMMIT, executeBatch);

  return {
    /** @throws when the batch could not be committed (the job is retried by BullMQ; a retry replays a stored answer). */
    async execute(job: FirstSaleJob): Promise<StoredOutcome> {
      const result = await committer.submit(job);
      if ("error" in result) throw result.error;
      return result.outcome;
    },
  };
}
export type FirstSaleExecutor = ReturnType<typeof createFirstSaleExecutor>;
