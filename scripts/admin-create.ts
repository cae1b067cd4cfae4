/** `npm run admin:create -- --username U --email E --password P`: creates or promotes an admin; audited. */
import { Command } from "commander";
import { z } from "zod";
import { emailSchema, passwordSchema, usernameSchema } from "../src/domain/accounts/account-rules.js";
import { createPasswordHasher } from "../src/auth/password-hasher.js";
import { createOrPromoteAdmin } from "../src/services/admin-accounts.js";
import { fail, withDatabase } from "./cli-context.js";

const options = new Command("admin:create")
  .description("Create an admin account, or promote an existing user; audited.")
  .requiredOption("--username <username>", "3–32 letters, digits or underscores")
  .requiredOption("--email <email>", "the admin's email")
  .requiredOption("--password <password>", "at least 10 characters (used only when the account is created)")
  .parse()
  .opts<{ username: string; email: string; password: string }>();

const parsed = z.object({ username: usernameSchema, email: emailSchema, password: passwordSchema }).safeParse(options);
if (!parsed.success) fail(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));

await withDatabase(async (pool, config) => {
  const result = await createOrPromoteAdmin(pool, createPasswordHasher(config.argon2MemoryKib), parsed.data);
  process.stdout.write(`${parsed.data.username}: admin ${result.outcome} (user_id ${result.userId})\n`);
});
