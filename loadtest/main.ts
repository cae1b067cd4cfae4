/**
 * `npm run loadtest -- --url http://127.0.0.1:2567 --clients 100 --duration 60 --scenario mixed …`
 *
 * Command-line parsing only; the work is `runLoadTest` (loadtest/run.ts).
 * Exit codes: 0 every SLO threshold held (or none was given); 1 a threshold
 * was missed; 2 the run could not start (bad flags, refused or unreachable
 * target, accounts not available).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DEFAULT_CEILING_WINDOW_S } from "./ceiling.js";
import { AccountsError, LoadTestError, runLoadTest, TargetRefusedError, type AccountsOption } from "./run.js";
import { SCENARIO_NAMES, type ScenarioName } from "./scenarios.js";
import { DEFAULT_MEMORY_WINDOW_S } from "./slo.js";

const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
  return parsed;
};
const positive = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
  return parsed;
};
const nonNegative = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`${name} must be a number of at least 0.`);
  return parsed;
};
const prefix = (value: string) => {
  if (!/^[A-Za-z0-9_]{1,16}$/.test(value)) throw new InvalidArgumentError("the prefix must be 1–16 letters, digits or underscores.");
  return value;
};

const program = new Command("loadtest")
  .description("Simulated players against a Virtual Land World deployment, through the public contract only (PROTOCOL.md).")
  .option("--url <url...>", "HTTP base of the target (WebSocket URL derived); several spread the players round-robin", ["http://127.0.0.1:2567"])
  .option("--clients <n>", "simulated players", integer("--clients", 1, 100_000), 10)
  .option("--duration <s>", "seconds of load, ramp included", positive("--duration"), 60)
  .option("--ramp <per-s>", "players started per second", positive("--ramp"), 10)
  .addOption(new Option("--scenario <name>", "what the players do").choices(SCENARIO_NAMES).default("mixed"))
  .option("--seed <n>", "the same seed replays the same decisions", integer("--seed", 0, 2 ** 32 - 1), 1)
  .option("--think-ms <ms>", "median think time between two actions of a player (log-normal)", positive("--think-ms"), 2000)
  .option("--area-chunks <n>", "side, in chunks, of the square where players walk (default: about 4 players per chunk)", integer("--area-chunks", 1, 32_768))
  .option("--report <file.json>", "write the JSON report here")
  .option("--chart <file.svg>", "write the SVG chart here")
  .option("--slo-action-p99 <ms>", "fail (exit 1) if the p99 of all actions exceeds this", positive("--slo-action-p99"))
  .option("--slo-broadcast-p99 <ms>", "fail (exit 1) if the p99 of land broadcasts exceeds this", positive("--slo-broadcast-p99"))
  .option("--slo-event-loop-p99 <ms>", "fail if a server's event-loop lag p99 exceeds this in any sample after the ramp", positive("--slo-event-loop-p99"))
  .option("--slo-memory-growth <percent>", "fail if a server's RSS grows by more than this over the last --memory-window seconds", nonNegative("--slo-memory-growth"))
  .option("--memory-window <s>", "the last seconds of the run over which memory growth is judged", positive("--memory-window"), DEFAULT_MEMORY_WINDOW_S)
  .option("--slo-failed-connections <n>", "fail if more connections than this failed (per window with --find-ceiling)", integer("--slo-failed-connections", 0))
  .option("--slo-no-unexpected-errors", "fail on any result that is not a business code of the contract (timeouts, INTERNAL, HTTP errors, …)", false)
  .option("--find-ceiling", "ramp players up to --clients, judging each window by the latency and failed-connection thresholds; stop at the first that breaks one", false)
  .option("--ceiling-window <s>", "with --find-ceiling: seconds per judged window (a multiple of 5)", positive("--ceiling-window"), DEFAULT_CEILING_WINDOW_S)
  .option("--allow-remote", "allow a target that is not this machine", false)
  .option("--accounts-prefix <prefix>", "username prefix of the accounts (seeded ones are <prefix>_1 …)", prefix, "demo")
  .option("--accounts-offset <n>", "number of the first seeded account (several generators: 1, 101, …)", integer("--accounts-offset", 1), 1)
  .option("--password <password>", "password of the seeded accounts / of registered players", "demo-password")
  .option("--admin-token <jwt>", "register new players and fund them through the admin API instead of logging in seeded ones")
  .option("--balance <bdt>", "with --admin-token: taka credited to each new player", integer("--balance", 0), 100_000)
  .option("--metrics-url <url...>", "/metrics of every server process to sample (default: <url>/metrics of each --url)")
  .option("--metrics-interval <s>", "seconds between /metrics samples", positive("--metrics-interval"), 5)
  .option("--action-timeout <ms>", "an action without result after this long counts as a timeout", positive("--action-timeout"), 15_000)
  .option("--no-progress", "no progress bar")
  .exitOverride();

try {
  program.parse();
} catch (error) {
  // Commander has printed the problem (or the help); a usage error is exit 2, as 1 means "an SLO was missed".
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  throw error;
}

const flags = program.opts<{
  url: string[];
  clients: number;
  duration: number;
  ramp: number;
  scenario: ScenarioName;
  seed: number;
  thinkMs: number;
  areaChunks?: number;
  report?: string;
  chart?: string;
  sloActionP99?: number;
  sloBroadcastP99?: number;
  sloEventLoopP99?: number;
  sloMemoryGrowth?: number;
  memoryWindow: number;
  sloFailedConnections?: number;
  sloNoUnexpectedErrors: boolean;
  findCeiling: boolean;
  ceilingWindow: number;
  allowRemote: boolean;
  accountsPrefix: string;
  accountsOffset: number;
  password: string;
  adminToken?: string;
  balance: number;
  metricsUrl?: string[];
  metricsInterval: number;
  actionTimeout: number;
  progress: boolean;
}>();

const accounts: AccountsOption = flags.adminToken
  ? { kind: "register", prefix: flags.accountsPrefix, password: flags.password, adminToken: flags.adminToken, balanceBdt: flags.balance }
  : { kind: "login", prefix: flags.accountsPrefix, password: flags.password, firstIndex: flags.accountsOffset };

// Ctrl-C ends the run early; the report is still written. A second one quits at once.
const interrupt = new AbortController();
process.once("SIGINT", () => {
  process.stderr.write("\nStopping early (Ctrl-C again to quit at once)…\n");
  interrupt.abort();
  process.once("SIGINT", () => process.exit(130));
});
process.once("SIGTERM", () => interrupt.abort());
// A stray rejection inside the SDK (a reconnection that failed, say) must not end the run.
process.on("unhandledRejection", (reason) => {
  process.stderr.write(`unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`);
});

try {
  const result = await runLoadTest({
    url: flags.url,
    clients: flags.clients,
    durationS: flags.duration,
    rampPerS: flags.ramp,
    scenario: flags.scenario,
    seed: flags.seed,
    thinkMs: flags.thinkMs,
    areaChunks: flags.areaChunks,
    actionTimeoutMs: flags.actionTimeout,
    allowRemote: flags.allowRemote,
    accounts,
    metricsUrls: flags.metricsUrl,
    metricsIntervalS: flags.metricsInterval,
    reportPath: flags.report,
    chartPath: flags.chart,
    sloActionP99Ms: flags.sloActionP99,
    sloBroadcastP99Ms: flags.sloBroadcastP99,
    sloEventLoopP99Ms: flags.sloEventLoopP99,
    sloMemoryGrowthPercent: flags.sloMemoryGrowth,
    memoryWindowS: flags.memoryWindow,
    sloFailedConnections: flags.sloFailedConnections,
    sloNoUnexpectedErrors: flags.sloNoUnexpectedErrors,
    findCeiling: flags.findCeiling,
    ceilingWindowS: flags.ceilingWindow,
    progress: flags.progress,
    signal: interrupt.signal,
  });
  process.stdout.write(`\n${result.table}\n`);
  if (flags.report) process.stdout.write(`report: ${flags.report}\n`);
  if (flags.chart) process.stdout.write(`chart: ${flags.chart}\n`);
  process.exit(result.exitCode);
} catch (error) {
  if (error instanceof TargetRefusedError || error instanceof LoadTestError || error instanceof AccountsError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
