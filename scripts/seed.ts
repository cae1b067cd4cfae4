/** `npm run seed`: demo users with balances; every credit is audited. Safe to run twice. */
import { Command } from "commander";
import { z } from "zod";
import { sql } from "../src/db/database.js";
import { createPasswordHasher } from "../src/auth/password-hasher.js";
import { creditBalance } from "../src/services/balance-credits.js";
import { createUsersRepository, WORLD_ACCOUNT_ID } from "../src/services/users-repository.js";
import { withDatabase } from "./cli-context.js";

const options = new Command("seed")
  .description("Create demo users (demo_1 … demo_N, password 'demo-password') with a starting balance")
  .option("--users <count>", "how many demo users", "10")
  .option("--balance <bdt>", "starting balance in taka", "100000")
  .option("--prefix <prefix>", "username prefix", "demo")
  .parse()
  .opts<{ users: string; balance: string; prefix: string }>();

const count = z.coerce.number().int().min(1).max(100_000).parse(options.users);
const balance = z.coerce.number().int().positive().safe().parse(options.balance);
const prefix = z.string().regex(/^[A-Za-z0-9_]{1,20}$/).parse(options.prefix);

await withDatabase(async (pool, config) => {
  const hasher = createPasswordHasher(config.argon2MemoryKib);
  const users = createUsersRepository();
  const passwordHash = await hasher.hash("demo-password");
  let created = 0;
  for (let index = 1; index <= count; index++) {
    const username = `${prefix}_${index}`;
    const inserted = await pool.maybeOneFirst(sql.type(z.object({ user_id: z.string() }))`
      INSERT INTO users (username, email, password_hash)
      VALUES (${username}, ${`${username}@demo.invalid`}, ${passwordHash})
      ON CONFLICT DO NOTHING RETURNING user_id`);
    if (!inserted) continue;
    await creditBalance(pool, users, { id: WORLD_ACCOUNT_ID, role: "system" }, inserted, balance, "demo seed");
    created++;
  }
  process.stdout.write(`Seeded ${created} new demo users with ${balance} BDT each (password "demo-password").\n`);
});
