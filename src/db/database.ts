import {
  createPool,
  sql,
  SchemaValidationError,
  type DatabasePool,
  type DatabaseTransactionConnection,
  type Interceptor,
} from "slonik";
import type { StandardSchemaV1 } from "@standard-schema/spec";

export type { DatabasePool, DatabaseTransactionConnection };
export { sql };

/**
 * Validates each row against the schema given to `sql.type(schema)`, so a query
 * whose columns drift from what the code expects fails loudly at the boundary.
 */
const resultParserInterceptor: Interceptor = {
  name: "result-parser",
  transformRow(context, query, row) {
    const parser = context.resultParser as StandardSchemaV1 | undefined;
    if (!parser) return row;
    const outcome = parser["~standard"].validate(row);
    if (outcome instanceof Promise) throw new Error("Row schemas must validate synchronously.");
    if (outcome.issues) {
      throw new SchemaValidationError(query, row, outcome.issues as never);
    }
    return outcome.value as typeof row;
  },
};

/** BIGINT money must stay exact: refuse anything beyond Number's safe range. */
function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`BIGINT ${value} is outside the safe integer range`);
  return parsed;
}

const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,6})?\+00$/;
/**
 * ISO-8601 UTC, keeping PostgreSQL's microseconds when the session is in UTC:
 * keyset cursors compare timestamps, and milliseconds alone would skip rows.
 */
function parseTimestamptz(value: string): string {
  const match = UTC_TIMESTAMP.exec(value);
  if (match) return `${match[1]}T${match[2]}${match[3] ?? ""}Z`;
  return new Date(value).toISOString();
}

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName?: string;
  /**
   * Every transaction of this pool, single statements included, runs
   * SERIALIZABLE: a money movement written as one statement then costs one
   * round trip instead of BEGIN / SET / statement / COMMIT.
   */
  serializableByDefault?: boolean;
}

/** A slonik pool: BIGINT as exact numbers, timestamps as ISO-8601 strings, rows validated. */
export async function createDatabase(options: DatabaseOptions): Promise<DatabasePool> {
  const url = new URL(options.url);
  url.searchParams.set("application_name", options.applicationName ?? "vlw");
  url.searchParams.set(
    "options",
    options.serializableByDefault ? "-c TimeZone=UTC -c default_transaction_isolation=serializable" : "-c TimeZone=UTC",
  );
  return createPool(url.toString(), {
    maximumPoolSize: options.poolSize,
    connectionTimeout: 5_000,
    idleTimeout: 30_000,
    statementTimeout: options.statementTimeoutMs,
    // slonik runs DISCARD ALL on every release by default: one more round trip
    // per checkout. Nothing here changes session state outside a transaction
    // (isolation is set per transaction, the time zone at connect), so skip it.
    resetConnection: async () => undefined,
    // Retries are ours (withSerializableRetry): bounded, with backoff and counted.
    transactionRetryLimit: 1,
    queryRetryLimit: 1,
    interceptors: [resultParserInterceptor],
    typeParsers: [
      { name: "int8", parse: parseInt8 },
      { name: "numeric", parse: (value: string) => Number(value) },
      { name: "timestamptz", parse: parseTimestamptz },
      { name: "timestamp", parse: (value: string) => new Date(`${value}Z`).toISOString() },
    ],
  });
}

/** The SQLSTATE of a database error, looking through slonik's wrappers. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The constraint named by an integrity error, looking through slonik's wrappers. */
export function violatedConstraint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const constraint = (current as { constraint?: unknown }).constraint;
    if (typeof constraint === "string") return constraint;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const RETRYABLE_STATES = new Set(["40001", "40P01"]);

/**
 * True for errors that mean the database (or Redis) could not be reached or
 * the connection died: the caller answers UNAVAILABLE (try again), not INTERNAL.
 */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state && (state.startsWith("08") || state === "57P01" || state === "57P02" || state === "57P03")) return true;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const name = (current as { name?: unknown }).name;
    const code = (current as { code?: unknown }).code;
    if (name === "ConnectionError" || name === "BackendTerminatedError" || name === "BackendTerminatedUnexpectedlyError")
      return true;
    // ioredis gives up on a command after its reconnect attempts during a Redis outage (rate limits, caches).
    if (name === "MaxRetriesPerRequestError") return true;
    if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface SerializableOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** Called once per retry, for metrics and benchmarks. */
  onRetry?: (sqlState: string) => void;
}

/** Re-runs `attemptOnce` on serialization failure or deadlock, with jittered exponential backoff, a bounded number of times. */
async function retryOnSerializationFailure<T>(attemptOnce: () => Promise<T>, options: SerializableOptions): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce();
    } catch (error) {
      const state = sqlState(error);
      if (!state || !RETRYABLE_STATES.has(state) || attempt >= attempts) throw error;
      options.onRetry?.(state);
      const backoffMs = Math.min(200, 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

/**
 * Runs `handler` in a SERIALIZABLE transaction, retrying on serialization
 * failure (40001) and deadlock (40P01). The handler must be safe to re-run: it
 * sees a fresh snapshot each attempt.
 */
export function withSerializableRetry<T>(
  pool: DatabasePool,
  handler: (tx: DatabaseTransactionConnection) => Promise<T>,
  options: SerializableOptions = {},
): Promise<T> {
  return retryOnSerializationFailure(
    () =>
      pool.transaction(async (tx) => {
        await tx.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`);
        return handler(tx);
      }),
    options,
  );
}

/**
 * Runs one statement on a pool made with `serializableByDefault` (so the
 * statement is its own SERIALIZABLE transaction), retrying like
 * {@link withSerializableRetry}.
 */
export function serializableStatement<T>(
  serializablePool: DatabasePool,
  run: (pool: DatabasePool) => Promise<T>,
  options: SerializableOptions = {},
): Promise<T> {
  return retryOnSerializationFailure(() => run(serializablePool), options);
}
