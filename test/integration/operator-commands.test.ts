import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetTestEnvironment, testEnvironment } from "../helpers/test-server.js";
import { spawnEntry } from "../helpers/processes.js";

const environment = testEnvironment();
let db: pg.Pool;

async function run(entry: string, args: string[]) {
  const command = spawnEntry(entry, environment.env, args);
  const { code } = await command.exited;
  return { code, stdout: command.stdout(), stderr: command.stderr() };
}

beforeAll(async () => {
  const migrated = await run("scripts/migrate.ts", []);
  expect(migrated.code).toBe(0);
  db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
}, 60_000);
afterAll(async () => {
  await db?.end();
  await forgetTestEnvironment(environment);
});

describe("operator commands", () => {
  it("npm run admin:create creates an admin, then promotes an existing user, each audited", async () => {
    const created = await run("scripts/admin-create.ts", ["--username", "root_admin", "--email", "root@example.com", "--password", "a long admin password"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/root_admin: admin created/);
    await db.query("INSERT INTO users (username, email, password_hash) VALUES ('plain_user', 'plain@example.com', 'h')");
    const promoted = await run("scripts/admin-create.ts", ["--username", "PLAIN_USER", "--email", "other@example.com", "--password", "a long admin password"]);
    expect(promoted.code).toBe(0);
    const roles = await db.query("SELECT username, role FROM users WHERE username IN ('root_admin', 'plain_user') ORDER BY username");
    expect(roles.rows).toEqual([
      { username: "plain_user", role: "admin" },
      { username: "root_admin", role: "admin" },
    ]);
    const audit = await db.query("SELECT event_type FROM audit_logs WHERE event_category = 'admin' ORDER BY created_at");
    expect(audit.rows.map((row) => row.event_type)).toEqual(["admin_created", "admin_promoted"]);
  });

  it("npm run admin:create refuses a bad email with one sentence and exit code 1", async () => {
    const refused = await run("scripts/admin-create.ts", ["--username", "x_admin", "--email", "nope", "--password", "a long admin password"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/email/);
  });

  it("npm run seed makes demo users with balances, every credit audited, and is safe to run twice", async () => {
    expect((await run("scripts/seed.ts", ["--users", "3", "--balance", "5000", "--prefix", "demo"])).code).toBe(0);
    expect((await run("scripts/seed.ts", ["--users", "3", "--balance", "5000", "--prefix", "demo"])).code).toBe(0);
    const users = await db.query("SELECT username, balance_bdt FROM users WHERE username LIKE 'demo\\_%' ORDER BY username");
    expect(users.rows).toEqual([
      { username: "demo_1", balance_bdt: "5000" },
      { username: "demo_2", balance_bdt: "5000" },
      { username: "demo_3", balance_bdt: "5000" },
    ]);
    const credits = await db.query("SELECT count(*)::int AS n, sum(amount_bdt)::int AS total FROM audit_logs WHERE event_type = 'balance_credited'");
    expect(credits.rows[0]).toEqual({ n: 3, total: 15_000 });
  });

  it("npm run check:ledger passes on a consistent database and fails once a balance is changed behind the audit's back", async () => {
    expect((await run("scripts/check-ledger.ts", [])).code).toBe(0);
    await db.query("UPDATE users SET balance_bdt = balance_bdt + 1 WHERE username = 'demo_1'");
    const broken = await run("scripts/check-ledger.ts", []);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/audited credits/);
    await db.query("UPDATE users SET balance_bdt = balance_bdt - 1 WHERE username = 'demo_1'");
  });

  it("npm run migrate -- down rolls back the newest migration and up applies it again", async () => {
    const down = await run("scripts/migrate.ts", ["down"]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/Rolled back: \d+/);
    const up = await run("scripts/migrate.ts", []);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Applied: \d+/);
  });
});
