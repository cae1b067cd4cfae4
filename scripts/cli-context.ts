import { assertNodeVersion } from "../src/runtime/node-version.js";
import { ConfigError, loadConfig, type Config } from "../src/config.js";
import { createDatabase, type DatabasePool } from "../src/db/database.js";
import { ensureDatabaseExists, migrateUp } from "../src/db/migrator.js";
import { MIGRATIONS_DIR } from "../src/composition-root.js";
import { redactUrl } from "../src/redis.js";

/**
 * Shared start of the operator commands: Node version, config, a migrated
 * database. Failures print one sentence and exit 1.
 */
export async function withDatabase<T>(work: (pool: DatabasePool, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit();
  try {
    await ensureDatabaseExists(config.databaseUrl);
  } catch (error) {
    fail(`Cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)} (${(error as Error).message}); start it or set DATABASE_URL.`);
  }
  await migrateUp(config.databaseUrl, MIGRATIONS_DIR);
  const pool = await createDatabase({ url: config.databaseUrl, poolSize: 2, statementTimeoutMs: 30_000, applicationName: "vlw-cli" });
  try {
    return await work(pool, config);
  } finally {
    await pool.end();
  }
}

/** Checks the Node version and loads the settings; a bad setting is one sentence and exit 1. */
export function loadConfigOrExit(): Config {
  assertNodeVersion();
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

export function fail(sentence: string): never {
  process.stderr.write(`${sentence}\n`);
  process.exit(1);
}
