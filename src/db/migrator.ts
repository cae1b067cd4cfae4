import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/**
 * Numbered SQL migrations (`NNN_name.up.sql` with a matching `.down.sql`),
 * applied in order under a PostgreSQL advisory lock so that processes starting
 * together never apply one twice. Applied files are checksummed: editing a
 * migration that already ran is refused; add a new one instead.
 */

const MIGRATION_LOCK_KEY = 7_264_901_113; // any constant shared by every process of this app
const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.(up|down)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  upSql: string;
  downSql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export async function loadMigrations(directory: string): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((file) => FILE_PATTERN.test(file)).sort();
  const byVersion = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of files) {
    const [, versionText, name, direction] = FILE_PATTERN.exec(file)!;
    const version = Number(versionText);
    const entry = byVersion.get(version) ?? { name: name! };
    if (entry.name !== name) throw new MigrationError(`Migration ${versionText} has two names: ${entry.name} and ${name}.`);
    const text = await readFile(path.join(directory, file), "utf8");
    if (direction === "up") entry.up = text;
    else entry.down = text;
    byVersion.set(version, entry);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, entry]) => {
      if (entry.up === undefined || entry.down === undefined) {
        throw new MigrationError(`Migration ${version} (${entry.name}) needs both an .up.sql and a .down.sql file.`);
      }
      return {
        version,
        name: entry.name,
        upSql: entry.up,
        downSql: entry.down,
        checksum: createHash("sha256").update(entry.up).digest("hex"),
      };
    });
}

async function withLockedClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "vlw-migrate" });
  await client.connect();
  try {
    // Tolerate the notices ensure_month_partitions raises; they are expected.
    client.on("notice", () => undefined);
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        checksum TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      return await work(client);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function appliedVersions(client: pg.Client): Promise<Map<number, string>> {
  const { rows } = await client.query<{ version: number; checksum: string }>(
    "SELECT version, checksum FROM schema_migrations ORDER BY version",
  );
  return new Map(rows.map((row) => [row.version, row.checksum]));
}

/** Applies every pending migration; returns the versions applied. */
export async function migrateUp(databaseUrl: string, directory: string): Promise<number[]> {
  const migrations = await loadMigrations(directory);
  return withLockedClient(databaseUrl, async (client) => {
    const applied = await appliedVersions(client);
    const done: number[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.version} (${migration.name}) was changed after it was applied; add a new migration instead.`,
          );
        }
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(migration.upSql);
        await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new MigrationError(
          `Migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
        );
      }
      done.push(migration.version);
    }
    return done;
  });
}

/** Rolls back the newest `steps` applied migrations; returns the versions rolled back. */
export async function migrateDown(databaseUrl: string, directory: string, steps = 1): Promise<number[]> {
  const migrations = new Map((await loadMigrations(directory)).map((m) => [m.version, m]));
  return withLockedClient(databaseUrl, async (client) => {
    const applied = [...(await appliedVersions(client)).keys()].sort((a, b) => b - a).slice(0, steps);
    for (const version of applied) {
      const migration = migrations.get(version);
      if (!migration) throw new MigrationError(`Migration ${version} is applied but its files are missing.`);
      await client.query("BEGIN");
      try {
        await client.query(migration.downSql);
        await client.query("DELETE FROM schema_migrations WHERE version = $1", [version]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new MigrationError(`Rolling back migration ${version} failed: ${(error as Error).message}`);
      }
    }
    return applied;
  });
}

/**
 * Creates the database named in the URL when it does not exist and the role
 * may create databases.
 * @throws the connection error when the server cannot be reached.
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<"existed" | "created"> {
  const probe = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await probe.connect();
    await probe.end();
    return "existed";
  } catch (error) {
    await probe.end().catch(() => undefined);
    if ((error as { code?: string }).code !== "3D000") throw error;
  }
  const target = new URL(databaseUrl);
  const databaseName = decodeURIComponent(target.pathname.replace(/^\//, ""));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`);
  } catch (error) {
    if ((error as { code?: string }).code !== "42P04") throw error; // created meanwhile by another process
  } finally {
    await admin.end();
  }
  return "created";
}
