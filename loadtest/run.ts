/**
 * `runLoadTest(options)`: the whole load test as a function (the CLI in
 * main.ts and the integration test call it). Checks the target, reads the
 * world's size, makes the accounts, ramps the simulated players up, lets
 * them play for the duration, stops them (leaving every room), and writes
 * the report, the chart and the verdict. With `findCeiling` it judges each
 * window as players arrive and stops at the first that breaks a threshold.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import cliProgress from "cli-progress";
import { prepareAccounts, type Account, type AccountSource } from "./accounts.js";
import { ceilingRunS, ceilingWindows, DEFAULT_CEILING_WINDOW_S, judgeCeiling, type CeilingThresholds } from "./ceiling.js";
import { ChatKeyring } from "./chat-crypto.js";
import { MetricsRecorder, WINDOW_MS } from "./metrics-recorder.js";
import { createRandom } from "./random.js";
import { buildReport, ceilingThresholdsOf, describeBroken, formatTable, renderChart, type LoadTestReport } from "./report.js";
import { SCENARIOS, type ScenarioName } from "./scenarios.js";
import { ServerMetricsSampler } from "./server-metrics.js";
import { DEFAULT_MEMORY_WINDOW_S, type SloThresholds } from "./slo.js";
import { SimulatedPlayer, type WalkArea, type WorldInfo } from "./simulated-player.js";
import { resolveTarget } from "./target-guard.js";
import type { WindowMeasures } from "./windows.js";

export { TargetRefusedError } from "./target-guard.js";
export { AccountsError } from "./accounts.js";

export type AccountsOption =
  | { kind: "login"; prefix: string; password: string; firstIndex?: number }
  | { kind: "register"; prefix: string; password: string; adminToken: string; balanceBdt: number };

export interface LoadTestOptions {
  /**
   * HTTP base of the target, e.g. http://127.0.0.1:2567 (the WebSocket URL is
   * derived). Several: players are spread over them round-robin, as a load
   * balancer in front of a cluster would.
   */
  url: string | string[];
  clients: number;
  durationS: number;
  /** Players started per second. */
  rampPerS: number;
  scenario: ScenarioName;
  seed: number;
  accounts: AccountsOption;
  /** Median think time between two actions of a player (log-normal). */
  thinkMs?: number;
  /** Side of the square of chunks (in the middle of the world) where players spawn and walk; by default about 4 players per chunk. */
  areaChunks?: number;
  actionTimeoutMs?: number;
  allowRemote?: boolean;
  /** `/metrics` URLs of every server process to sample (default: each target's). */
  metricsUrls?: string[];
  metricsIntervalS?: number;
  reportPath?: string;
  chartPath?: string;
  sloActionP99Ms?: number;
  sloBroadcastP99Ms?: number;
  /** The server's event-loop lag p99, judged on the samples after the ramp (slo.ts). */
  sloEventLoopP99Ms?: number;
  /** Largest RSS growth of a server over the last `memoryWindowS` seconds, in percent (slo.ts). */
  sloMemoryGrowthPercent?: number;
  memoryWindowS?: number;
  /** Most failed connections allowed (over the run, or per window when searching the ceiling). */
  sloFailedConnections?: number;
  /** Fail on any result that is not part of play (result-codes.ts). */
  sloNoUnexpectedErrors?: boolean;
  /**
   * Search the ceiling: players arrive at `rampPerS` up to `clients`, each
   * `ceilingWindowS`-second window is judged against the latency and
   * failed-connection thresholds, and the run stops at the first window
   * that breaks one (ceiling.ts).
   */
  findCeiling?: boolean;
  /** A multiple of 5 s; default 10. */
  ceilingWindowS?: number;
  /** A progress bar on stderr (when it is a terminal; otherwise a status line every 10 s). */
  progress?: boolean;
  /** Where status lines go (default stderr); the table is returned, not printed. */
  log?: (line: string) => void;
  /** Ends the run early (Ctrl-C); the report is still written. */
  signal?: AbortSignal;
}

export interface LoadTestResult {
  report: LoadTestReport;
  /** The end-of-run table, verdict last. */
  table: string;
  /** 0 when every SLO threshold held (or none was given), 1 when one was missed. */
  exitCode: 0 | 1;
}

export class LoadTestError extends Error {
  override name = "LoadTestError";
}

const DEFAULTS = { thinkMs: 2_000, actionTimeoutMs: 15_000, metricsIntervalS: 5, playersPerChunk: 4 };

/**
 * Runs a load test.
 * @throws TargetRefusedError for a non-loopback target without `allowRemote` (before any request);
 *   LoadTestError when the target cannot be reached; AccountsError when accounts cannot be had.
 */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const urls = Array.isArray(options.url) ? options.url : [options.url];
  if (urls.length === 0) throw new LoadTestError("Give at least one --url.");
  const targets = urls.map((url) => resolveTarget(url, options.allowRemote ?? false));
  const target = targets[0]!;
  const metricsUrls = (options.metricsUrls?.length ? options.metricsUrls : targets.map((t) => `${t.httpUrl}/metrics`)).map((url) => {
    resolveTarget(url, options.allowRemote ?? false);
    return url;
  });
  if (!(options.clients >= 1)) throw new LoadTestError("--clients must be at least 1.");
  if (!(options.durationS > 0)) throw new LoadTestError("--duration must be positive.");
  if (!(options.rampPerS > 0)) throw new LoadTestError("--ramp must be positive.");
  const scenario = SCENARIOS[options.scenario];
  if (!scenario) throw new LoadTestError(`Unknown scenario ${JSON.stringify(options.scenario)}.`);
  const memoryWindowS = options.memoryWindowS ?? DEFAULT_MEMORY_WINDOW_S;
  if (!(memoryWindowS > 0)) throw new LoadTestError("--memory-window must be positive.");
  const slo: SloThresholds = {
    actionP99Ms: options.sloActionP99Ms,
    broadcastP99Ms: options.sloBroadcastP99Ms,
    serverEventLoopP99Ms: options.sloEventLoopP99Ms,
    serverMemoryGrowthPercent: options.sloMemoryGrowthPercent,
    memoryWindowS,
    failedConnections: options.sloFailedConnections,
    noUnexpectedErrors: options.sloNoUnexpectedErrors ?? false,
  };
  const ceiling = options.findCeiling ? ceilingSearch(options, ceilingThresholdsOf(slo)) : undefined;
  const plannedS = ceiling ? ceilingRunS(options.durationS, options.clients, options.rampPerS, ceiling.windowS) : options.durationS;

  const world = await readWorld(target.httpUrl);
  const area = walkArea(world, options.areaChunks ?? Math.max(2, Math.ceil(Math.sqrt(options.clients / DEFAULTS.playersPerChunk))));
  const runTag = randomBytes(3).toString("hex");
  const recorder = new MetricsRecorder();

  const source: AccountSource =
    options.accounts.kind === "login"
      ? { kind: "login", prefix: options.accounts.prefix, password: options.accounts.password, firstIndex: options.accounts.firstIndex ?? 1 }
      : { ...options.accounts, runTag };
  log(
    `Preparing ${options.clients} account(s) (${source.kind === "login" ? `logging in as ${source.prefix}_${source.firstIndex}…` : `registering ${source.prefix}_${runTag}_1…`}) on ${target.httpUrl}`,
  );
  const accountsStarted = performance.now();
  const accounts = await prepareAccounts({ httpUrl: target.httpUrl, count: options.clients, source, recorder, signal: options.signal });
  const prepareS = (performance.now() - accountsStarted) / 1000;

  log(
    `Running "${scenario.name}" (${scenario.description}) with ${ceiling ? "up to " : ""}${options.clients} player(s) for ${ceiling ? "at most " : ""}${plannedS} s, ` +
      `ramp ${options.rampPerS}/s, seed ${options.seed}, walk area ${(area.x1 - area.x0) / world.chunkSize}×${(area.y1 - area.y0) / world.chunkSize} chunks at lands (${area.x0}, ${area.y0}).`,
  );
  const keyring = new ChatKeyring(options.seed);
  const passcodes = new Map<string, string>();
  const context = {
    targets,
    world,
    area,
    scenario,
    recorder,
    keyring,
    passcodes,
    runTag,
    thinkMedianMs: options.thinkMs ?? DEFAULTS.thinkMs,
    actionTimeoutMs: options.actionTimeoutMs ?? DEFAULTS.actionTimeoutMs,
  };

  recorder.start(Date.now(), plannedS * 1000);
  const sampler = new ServerMetricsSampler(metricsUrls, (options.metricsIntervalS ?? DEFAULTS.metricsIntervalS) * 1000, recorder.startedAtMs);
  sampler.start();
  const endAtMs = recorder.startedAtMs + plannedS * 1000;
  const players: SimulatedPlayer[] = [];
  const progress = startProgress(options, plannedS, recorder, () => players.length, log);

  const stop = new AbortController();
  if (ceiling) {
    // Judged as each ceiling window closes (measuring only the new one); the report judges the final windows again with the same function.
    const groupSize = ceiling.windowS / (WINDOW_MS / 1000);
    const measured: WindowMeasures[] = [];
    recorder.onWindowClosed = (index) => {
      if ((index + 1) % groupSize !== 0 || stop.signal.aborted) return;
      const closing = recorder.windows.slice(index + 1 - groupSize, index + 1);
      measured.push(...ceilingWindows(closing, groupSize, ((index + 1) * WINDOW_MS) / 1000, sampler.samples, recorder.playerStartsS));
      const { broke } = judgeCeiling(measured, ceiling.thresholds);
      if (!broke) return;
      log(`Ceiling: ${describeBroken(broke.thresholds)} with ${broke.players} players at ${broke.t_s} s; stopping.`);
      stop.abort();
    };
  }
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const endTimer = setTimeout(() => stop.abort(), Math.max(0, endAtMs - Date.now()));
  try {
    await rampUp(accounts, options, context, players, stop.signal);
    if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
  } finally {
    clearTimeout(endTimer);
    options.signal?.removeEventListener("abort", onAbort);
    recorder.stop();
    progress.stop();
    await sampler.stop(); // its last sample covers the end of the load, not the leaving
    log(`Stopping ${players.length} player(s) and leaving their rooms…`);
    await Promise.allSettled(players.map((player) => player.stop()));
  }
  const stoppedEarly = options.signal?.aborted ?? false;

  const report = buildReport({
    recorder,
    target: { urls: targets.map((t) => t.httpUrl), wsUrls: targets.map((t) => t.wsUrl), metricsUrls },
    options: {
      clients: options.clients,
      duration_s: options.durationS,
      ramp_per_s: options.rampPerS,
      scenario: scenario.name,
      seed: options.seed,
      think_ms: context.thinkMedianMs,
      area_chunks: (area.x1 - area.x0) / world.chunkSize,
      action_timeout_ms: context.actionTimeoutMs,
      accounts: source.kind === "login" ? { kind: "login", prefix: source.prefix, first_index: source.firstIndex } : { kind: "register", prefix: source.prefix, run_tag: runTag },
      slo_action_p99_ms: options.sloActionP99Ms ?? null,
      slo_broadcast_p99_ms: options.sloBroadcastP99Ms ?? null,
      slo_event_loop_p99_ms: options.sloEventLoopP99Ms ?? null,
      slo_memory_growth_percent: options.sloMemoryGrowthPercent ?? null,
      memory_window_s: memoryWindowS,
      slo_failed_connections: options.sloFailedConnections ?? null,
      slo_no_unexpected_errors: slo.noUnexpectedErrors,
      find_ceiling: ceiling !== undefined,
      ceiling_window_s: ceiling?.windowS ?? null,
      stopped_early: stoppedEarly,
    },
    accounts: { source: source.kind, count: accounts.length, prepareS },
    playersStarted: players.length,
    rampEndedS: players.length === accounts.length ? (recorder.playerStartsS.at(-1) ?? null) : null,
    stoppedEarly,
    serverSamples: sampler.samples,
    serverErrors: sampler.errors,
    slo,
    ceiling,
  });
  if (options.reportPath) await writeOut(options.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  if (options.chartPath) await writeOut(options.chartPath, renderChart(report));
  return { report, table: formatTable(report), exitCode: report.verdict.pass ? 0 : 1 };
}

/** The ceiling search's settings, checked: its window and the thresholds it judges windows by. */
function ceilingSearch(options: LoadTestOptions, thresholds: CeilingThresholds): { windowS: number; thresholds: CeilingThresholds } {
  const windowS = options.ceilingWindowS ?? DEFAULT_CEILING_WINDOW_S;
  const baseS = WINDOW_MS / 1000;
  if (!(windowS > 0 && Number.isInteger(windowS / baseS))) throw new LoadTestError(`--ceiling-window must be a multiple of ${baseS} s.`);
  if (Object.keys(thresholds).length === 0) {
    throw new LoadTestError("--find-ceiling needs a threshold to judge windows by: --slo-action-p99, --slo-broadcast-p99, --slo-event-loop-p99 or --slo-failed-connections.");
  }
  return { windowS, thresholds };
}

async function rampUp(
  accounts: Account[],
  options: LoadTestOptions,
  context: ConstructorParameters<typeof SimulatedPlayer>[1],
  players: SimulatedPlayer[],
  signal: AbortSignal,
): Promise<void> {
  const startedAt = Date.now();
  for (const account of accounts) {
    const dueAt = startedAt + (players.length * 1000) / options.rampPerS;
    const wait = dueAt - Date.now();
    if (wait > 0 && !(await sleep(wait, signal))) return;
    if (signal.aborted) return;
    // The stream follows the account number, so generators with different --accounts-offset behave differently.
    const stream = options.accounts.kind === "login" ? (options.accounts.firstIndex ?? 1) - 1 + account.index : account.index;
    const player = new SimulatedPlayer(account, context, createRandom(options.seed, stream));
    players.push(player);
    player.start();
    context.recorder.playerStarted();
  }
}

/** `GET /world`: the grid the players walk on. */
async function readWorld(httpUrl: string): Promise<WorldInfo> {
  let response: Response;
  try {
    response = await fetch(`${httpUrl}/world`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new LoadTestError(`Cannot reach ${httpUrl}/world (${(error as Error).message}); is the server running?`);
  }
  if (!response.ok) throw new LoadTestError(`GET ${httpUrl}/world answered ${response.status}.`);
  const body = (await response.json()) as { world_width: number; world_height: number; chunk_size: number };
  const chunkSize = body.chunk_size;
  return {
    width: body.world_width,
    height: body.world_height,
    chunkSize,
    chunkCountX: Math.ceil(body.world_width / chunkSize),
    chunkCountY: Math.ceil(body.world_height / chunkSize),
  };
}

/** A square of `side` chunks in the middle of the world (clamped to it), in lands. */
export function walkArea(world: WorldInfo, side: number): WalkArea {
  const sideX = Math.min(world.chunkCountX, Math.max(1, Math.round(side)));
  const sideY = Math.min(world.chunkCountY, Math.max(1, Math.round(side)));
  const cx0 = Math.floor((world.chunkCountX - sideX) / 2);
  const cy0 = Math.floor((world.chunkCountY - sideY) / 2);
  return {
    x0: cx0 * world.chunkSize,
    y0: cy0 * world.chunkSize,
    x1: Math.min(world.width, (cx0 + sideX) * world.chunkSize),
    y1: Math.min(world.height, (cy0 + sideY) * world.chunkSize),
  };
}

function startProgress(options: LoadTestOptions, total: number, recorder: MetricsRecorder, playerCount: () => number, log: (line: string) => void) {
  if (!options.progress) return { stop() {} };
  const payload = () => {
    const live = recorder.live();
    const elapsedS = recorder.elapsedMs / 1000;
    return {
      players: playerCount(),
      actions: live.actions,
      rate: elapsedS > 0 ? (live.actions / elapsedS).toFixed(1) : "0.0",
      p99: live.windowActionP99Ms === undefined ? "-" : live.windowActionP99Ms.toFixed(0),
      errors: live.errors,
      failed: live.connectionsFailed,
    };
  };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: " {bar} {value}/{total} s | players {players} | actions {actions} ({rate}/s) | p99 {p99} ms (5 s) | not ok {errors} | conn. failed {failed}",
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, payload());
    const timer = setInterval(() => bar.update(Math.min(total, Math.floor(recorder.elapsedMs / 1000)), payload()), 500);
    return {
      stop() {
        clearInterval(timer);
        bar.update(Math.min(total, Math.floor(recorder.elapsedMs / 1000)), payload());
        bar.stop();
      },
    };
  }
  const timer = setInterval(() => {
    const p = payload();
    log(`[${Math.floor(recorder.elapsedMs / 1000)}/${total} s] players ${p.players}, actions ${p.actions} (${p.rate}/s), p99 ${p.p99} ms, not ok ${p.errors}, connections failed ${p.failed}`);
  }, 10_000);
  return { stop: () => clearInterval(timer) };
}

async function writeOut(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, text);
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
