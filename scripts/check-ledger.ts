/** `npm run check:ledger`: checks money conservation and the ledger's invariants; exit 1 on any problem. */
import { checkLedger } from "../src/services/ledger-checker.js";
import { withDatabase } from "./cli-context.js";

const report = await withDatabase((pool) => checkLedger(pool));
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(report.ok ? "Ledger OK.\n" : `Ledger has ${report.problems.length} problem(s).\n`);
process.exit(report.ok ? 0 : 1);
