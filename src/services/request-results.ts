import { z } from "zod";
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import type { ErrorBody } from "../protocol/error-codes.js";

type Queryable = DatabasePool | DatabaseTransactionConnection;

/** The stored outcome of a client request (`req`), replayed when the same `req` comes again. */
export type StoredOutcome = { ok: true; data: unknown } | { ok: false; error: ErrorBody };

const storedRow = z.object({ ok: z.boolean(), result: z.unknown() });

export async function findStoredOutcome(db: Queryable, userId: string, req: string): Promise<StoredOutcome | undefined> {
  const row = await db.maybeOne(sql.type(storedRow)`
    SELECT ok, result FROM request_results WHERE user_id = ${userId} AND req = ${req}`);
  if (!row) return undefined;
  return row.ok ? { ok: true, data: row.result } : { ok: false, error: row.result as ErrorBody };
}

/**
 * Stores the outcome inside the transaction that made the change, so the
 * change and its replayable answer commit together.
 * @throws a unique violation (23505) when the same `req` was stored meanwhile: the caller replays it.
 */
export async function storeOutcome(
  tx: DatabaseTransactionConnection,
  userId: string,
  req: string,
  action: string,
  outcome: StoredOutcome,
): Promise<void> {
  const result = outcome.ok ? (outcome.data ?? null) : outcome.error;
  await tx.query(sql.unsafe`
    INSERT INTO request_results (user_id, req, action, ok, result)
    VALUES (${userId}, ${req}, ${action}, ${outcome.ok}, ${sql.jsonb(result as never)})`);
}
