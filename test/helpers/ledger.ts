import { expect } from "vitest";
import { createDatabase } from "../../src/db/database.js";
import { checkLedger } from "../../src/services/ledger-checker.js";

/** Runs the money checker (`npm run check:ledger`) against a database and expects no problem. */
export async function expectLedgerBalanced(databaseUrl: string): Promise<void> {
  const pool = await createDatabase({ url: databaseUrl, poolSize: 1, statementTimeoutMs: 10_000 });
  try {
    expect((await checkLedger(pool)).problems).toEqual([]);
  } finally {
    await pool.end();
  }
}
