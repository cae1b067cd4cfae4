/** `npm run migrate` applies pending migrations; `npm run migrate -- down [steps]` rolls back. */
import { Command } from "commander";
import { ensureDatabaseExists, migrateDown, migrateUp } from "../src/db/migrator.js";
import { MIGRATIONS_DIR } from "../src/composition-root.js";
import { redactUrl } from "../src/redis.js";
import { fail, loadConfigOrExit } from "./cli-context.js";

const program = new Command("migrate")
  .description("Apply (up) or roll back (down) the SQL migrations in migrations/")
  .argument("[direction]", "up or down", "up")
  .argument("[steps]", "how many to roll back with down", "1")
  .parse();
const [direction, stepsText] = program.processedArgs as [string, string];
if (direction !== "up" && direction !== "down") fail(`Unknown direction "${direction}"; use up or down.`);
const steps = Number(stepsText);
if (!Number.isInteger(steps) || steps < 1) fail("steps must be a positive whole number.");

const config = loadConfigOrExit();
try {
  await ensureDatabaseExists(config.databaseUrl);
} catch (error) {
  fail(`Cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)} (${(error as Error).message}); start it or set DATABASE_URL.`);
}
try {
  const versions =
    direction === "up" ? await migrateUp(config.databaseUrl, MIGRATIONS_DIR) : await migrateDown(config.databaseUrl, MIGRATIONS_DIR, steps);
  process.stdout.write(
    versions.length === 0 ? "Nothing to do.\n" : `${direction === "up" ? "Applied" : "Rolled back"}: ${versions.join(", ")}\n`,
  );
} catch (error) {
  fail((error as Error).message);
}
