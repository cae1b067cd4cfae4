import { z } from "zod";
import { sql, type DatabasePool } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "./metrics.js";

const PARTITIONED_TABLES = ["messages", "audit_logs"] as const;
const MONTHS_AHEAD = 13;

/**
 * Creates the coming months' partitions of the partitioned tables and reports
 * rows that fell into a DEFAULT partition (their month had no partition yet).
 */
export async function runPartitionMaintenance(pool: DatabasePool, metrics: Metrics, logger: Logger) {
  const report: Record<string, { created: number; defaultRows: number }> = {};
  for (const table of PARTITIONED_TABLES) {
    const created = await pool.oneFirst(
      sql.type(z.object({ created: z.number() }))`
        SELECT ensure_month_partitions(${table}, (now() AT TIME ZONE 'UTC')::date, ${MONTHS_AHEAD}) AS created`,
    );
    const defaultRows = await pool.oneFirst(
      sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM ${sql.identifier([`${table}_default`])}`,
    );
    metrics.defaultPartitionRows.labels(table).set(defaultRows);
    if (defaultRows > 0) logger.warn({ table, rows: defaultRows }, "rows are in the DEFAULT partition");
    report[table] = { created, defaultRows };
  }
  return report;
}
