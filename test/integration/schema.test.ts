import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDatabaseExists, migrateDown, migrateUp, loadMigrations } from "../../src/db/migrator.js";
import { MIGRATIONS_DIR } from "../../src/composition-root.js";
import { dropDatabase, forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";

const environment = testEnvironment();
let db: pg.Pool;

beforeAll(async () => {
  await ensureDatabaseExists(environment.databaseUrl);
  await migrateUp(environment.databaseUrl, MIGRATIONS_DIR);
  db = new pg.Pool({ connectionString: environment.databaseUrl, max: 4 });
});
afterAll(async () => {
  await db?.end();
  await forgetTestEnvironment(environment);
});

/** Every table, column, constraint, index, trigger, view and function of the public schema, as text. */
async function schemaSnapshot(pool: pg.Pool): Promise<string[]> {
  const queries = [
    `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`,
    `SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'schema_migrations'`,
    `SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
    `SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT tgisinternal AND c.relnamespace = 'public'::regnamespace`,
    `SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'public'`,
    `SELECT 'function ' || proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
    `SELECT 'partition ' || inhparent::regclass || ' ' || inhrelid::regclass FROM pg_inherits`,
  ];
  const lines: string[] = [];
  for (const query of queries) lines.push(...(await pool.query(query)).rows.map((row) => Object.values(row)[0] as string));
  return lines.sort();
}

async function seedLandAndTransaction(client: pg.Pool) {
  const buyer = await client.query(
    "INSERT INTO users (username, email, password_hash, balance_bdt) VALUES ('buyer_' || substr(md5(random()::text), 1, 8), substr(md5(random()::text), 1, 8) || '@x.io', 'h', 1000) RETURNING user_id",
  );
  const buyerId = buyer.rows[0].user_id;
  const land = await client.query(
    `INSERT INTO lands (owner_id, x, y, biome, elevation, color_hex, price_base_bdt)
     VALUES ($1, floor(random() * 1000)::int, floor(random() * 1000)::int, 'forest', 0.5, '#228b22', 1000) RETURNING land_id`,
    [buyerId],
  );
  const transaction = await client.query(
    `INSERT INTO transactions (land_id, seller_id, buyer_id, amount_bdt)
     VALUES ($1, '00000000-0000-4000-8000-000000000001', $2, 1000) RETURNING transaction_id`,
    [land.rows[0].land_id, buyerId],
  );
  return { buyerId, transactionId: transaction.rows[0].transaction_id as string };
}

describe("immutable history", () => {
  it("refuses UPDATE and DELETE on transactions", async () => {
    const { transactionId } = await seedLandAndTransaction(db);
    await expect(db.query("UPDATE transactions SET amount_bdt = 1 WHERE transaction_id = $1", [transactionId])).rejects.toThrow(
      /insert-only/,
    );
    await expect(db.query("DELETE FROM transactions WHERE transaction_id = $1", [transactionId])).rejects.toThrow(/insert-only/);
    await expect(db.query("TRUNCATE transactions CASCADE")).rejects.toThrow(/insert-only/);
    const row = await db.query("SELECT amount_bdt FROM transactions WHERE transaction_id = $1", [transactionId]);
    expect(Number(row.rows[0].amount_bdt)).toBe(1000);
  });

  it("refuses UPDATE and DELETE on audit_logs, in the parent and in a partition", async () => {
    await db.query("INSERT INTO audit_logs (event_type, event_category, action) VALUES ('probe', 'system', 'probe')");
    await expect(db.query("UPDATE audit_logs SET action = 'changed' WHERE event_type = 'probe'")).rejects.toThrow(/insert-only/);
    await expect(db.query("DELETE FROM audit_logs WHERE event_type = 'probe'")).rejects.toThrow(/insert-only/);
    const partition = (await db.query("SELECT tableoid::regclass::text AS p FROM audit_logs WHERE event_type = 'probe'")).rows[0].p;
    await expect(db.query(`DELETE FROM ${partition} WHERE event_type = 'probe'`)).rejects.toThrow(/insert-only/);
    expect((await db.query("SELECT count(*)::int AS n FROM audit_logs WHERE event_type = 'probe'")).rows[0].n).toBe(1);
  });

  it("keeps money whole: a negative balance, a hold above the balance and a float price are refused", async () => {
    const { buyerId } = await seedLandAndTransaction(db);
    await expect(db.query("UPDATE users SET balance_bdt = -1 WHERE user_id = $1", [buyerId])).rejects.toThrow(/check/);
    await expect(db.query("UPDATE users SET held_bdt = balance_bdt + 1 WHERE user_id = $1", [buyerId])).rejects.toThrow(/check/);
    const column = await db.query(
      "SELECT data_type FROM information_schema.columns WHERE table_name = 'transactions' AND column_name = 'amount_bdt'",
    );
    expect(column.rows[0].data_type).toBe("bigint");
  });
});

describe("partitions", () => {
  it("puts an audit row dated next year into that month's partition, not the DEFAULT one", async () => {
    const nextYear = new Date();
    nextYear.setUTCFullYear(nextYear.getUTCFullYear() + 1);
    const inserted = await db.query(
      "INSERT INTO audit_logs (event_type, event_category, action, created_at) VALUES ('future', 'system', 'probe', $1) RETURNING tableoid::regclass::text AS partition",
      [nextYear.toISOString()],
    );
    const month = `${nextYear.getUTCFullYear()}_${String(nextYear.getUTCMonth() + 1).padStart(2, "0")}`;
    expect(inserted.rows[0].partition).toBe(`audit_logs_${month}`);
  });

  it("never fails an insert: a row beyond the prepared months lands in the DEFAULT partition", async () => {
    const far = await db.query(
      "INSERT INTO audit_logs (event_type, event_category, action, created_at) VALUES ('far', 'system', 'probe', '2099-01-01') RETURNING tableoid::regclass::text AS partition",
    );
    expect(far.rows[0].partition).toBe("audit_logs_default");
  });

  it("one active listing per land, one leading bid per listing, one active chat session per land", async () => {
    const indexes = await db.query(
      "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('listings_one_active_per_land', 'bids_one_leading_per_listing', 'chat_sessions_one_active_per_land', 'users_email_active_key', 'users_username_lower_key')",
    );
    const definitions = Object.fromEntries(indexes.rows.map((row) => [row.indexname, row.indexdef]));
    expect(definitions.listings_one_active_per_land).toMatch(/UNIQUE INDEX .* ON public\.listings .*\(land_id\) WHERE .*active/);
    expect(definitions.bids_one_leading_per_listing).toMatch(/UNIQUE INDEX .* ON public\.bids .*\(listing_id\) WHERE .*active/);
    expect(definitions.chat_sessions_one_active_per_land).toMatch(/UNIQUE INDEX .*\(land_id\) WHERE .*active/);
    expect(definitions.users_email_active_key).toMatch(/lower\(\(email\)::text\)\) WHERE \(deleted_at IS NULL\)/);
    expect(definitions.users_username_lower_key).toMatch(/UNIQUE INDEX .*lower\(\(username\)::text\)/);
  });

  it("lets a deleted user's email be registered again", async () => {
    await db.query("INSERT INTO users (username, email, password_hash) VALUES ('reuse_one', 'reuse@example.com', 'h')");
    await expect(
      db.query("INSERT INTO users (username, email, password_hash) VALUES ('reuse_two', 'REUSE@example.com', 'h')"),
    ).rejects.toThrow(/users_email_active_key/);
    await db.query("UPDATE users SET deleted_at = now() WHERE username = 'reuse_one'");
    await db.query("INSERT INTO users (username, email, password_hash) VALUES ('reuse_two', 'REUSE@example.com', 'h')");
  });
});

describe("migrations", () => {
  it("go all the way down and up again to the same schema", async () => {
    const before = await schemaSnapshot(db);
    expect(before.length).toBeGreaterThan(100);
    const all = await loadMigrations(MIGRATIONS_DIR);
    // A fresh database for the round trip, so data in this one does not block the down migrations' drops.
    const roundTrip = testEnvironment();
    await ensureDatabaseExists(roundTrip.databaseUrl);
    const pool = new pg.Pool({ connectionString: roundTrip.databaseUrl, max: 2 });
    try {
      await migrateUp(roundTrip.databaseUrl, MIGRATIONS_DIR);
      const fresh = await schemaSnapshot(pool);
      expect(fresh).toEqual(before);
      const rolledBack = await migrateDown(roundTrip.databaseUrl, MIGRATIONS_DIR, all.length);
      expect(rolledBack).toEqual(all.map((m) => m.version).reverse());
      const empty = await pool.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
      expect(empty.rows[0].n).toBe(0);
      await migrateUp(roundTrip.databaseUrl, MIGRATIONS_DIR);
      expect(await schemaSnapshot(pool)).toEqual(before);
    } finally {
      await pool.end();
      await dropDatabase(roundTrip.databaseName);
    }
  });

  it("applied concurrently by several processes, each migration runs once", async () => {
    const concurrent = testEnvironment();
    await ensureDatabaseExists(concurrent.databaseUrl);
    try {
      const results = await Promise.all([1, 2, 3, 4].map(() => migrateUp(concurrent.databaseUrl, MIGRATIONS_DIR)));
      const applied = results.flat();
      const all = await loadMigrations(MIGRATIONS_DIR);
      expect(applied.sort()).toEqual(all.map((m) => m.version).sort());
    } finally {
      await dropDatabase(concurrent.databaseName);
    }
  });
});
