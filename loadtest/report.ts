/**
 * The load tester's output: the JSON report (fields documented in
 * docs/LOADTEST.md), the table printed at the end, the verdict against the
 * SLO thresholds (and the ceiling, when searched), and an SVG chart of
 * latency and throughput per 5-second window. Building the report reads the
 * recorder; the judgements (slo.ts, ceiling.ts) and the rendering are pure.
 */
import { ceilingReport, ceilingWindows, judgeCeiling, type BrokenThreshold, type CeilingMeasure, type CeilingReport, type CeilingThresholds } from "./ceiling.js";
import type { ConnectionCounts, MetricsRecorder } from "./metrics-recorder.js";
import { WINDOW_MS } from "./metrics-recorder.js";
import type { Summary } from "./percentiles.js";
import { unexpectedReason } from "./result-codes.js";
import { nullableRound, round } from "./rounding.js";
import type { ServerSample } from "./server-metrics.js";
import {
  DEFAULT_MEMORY_WINDOW_S,
  groupByUrl,
  judgeFailedConnections,
  judgeMemoryGrowth,
  judgeServerEventLoop,
  judgeUnexpectedResults,
  droppedByRoom,
  type CountCheck,
  type MemoryGrowthCheck,
  type SloCheck,
  type SloThresholds,
  type UnexpectedResultsCheck,
} from "./slo.js";
import { GENERATOR_CPU_LIMIT_PERCENT, GENERATOR_LOOP_LAG_P99_LIMIT_MS, isGeneratorSaturated, measureSpan, windowSpans, type WindowMeasures } from "./windows.js";

export type { SloCheck } from "./slo.js";

export const REPORT_VERSION = 1;

/** One 5-second window: what the ceiling search judges (`players`, p99s, failed connections, …) and the traffic. */
export interface ReportWindow extends WindowMeasures {
  actions_per_s: number;
  errors: number;
  ws_frames_in_per_s: number;
  ws_frames_out_per_s: number;
  ws_bytes_in_per_s: number;
  ws_bytes_out_per_s: number;
  joins: number;
  generator_cpu_percent: number | null;
  generator_loop_lag_p99_ms: number | null;
  generator_heap_bytes: number | null;
}

export interface ServerSummary {
  cpu_percent_mean: number | null;
  cpu_percent_max: number | null;
  rss_bytes_max: number | null;
  event_loop_lag_p99_ms_max: number | null;
  clients_max: number | null;
}

export interface LoadTestReport {
  tool: "vlw-loadtest";
  report_version: number;
  started_at: string;
  ended_at: string;
  duration_s: number;
  /** `urls`: the entry points players were spread over (one, or a cluster's servers). */
  target: { urls: string[]; ws_urls: string[]; metrics_urls: string[] };
  options: Record<string, unknown>;
  clock: { offset_ms: number; note: string };
  accounts: { source: "login" | "register"; count: number; prepare_s: number };
  /** `ramp_ended_s`: when the last player started (the end of warm-up); null when the ramp did not finish. */
  players: { started: number; ramp_ended_s: number | null };
  connections: {
    chunk: ConnectionCounts;
    land_chat: ConnectionCounts;
    total: ConnectionCounts;
    /** Joins still under way when the run ended (attempted − made − failed − refused). */
    unfinished_at_end: number;
    failures: Record<string, number>;
  };
  /** Latencies in milliseconds: `join.*`, `action.<type>`, `action.all`, `broadcast.land`, `broadcast.chat`, `http.*`. */
  measures: Record<string, Summary>;
  /** Outcomes per message type (and per HTTP call and refused join): `ok`, a contract error code, or `timeout` / `connection_closed`. */
  results: Record<string, Record<string, number>>;
  counters: Record<string, number>;
  throughput: { actions: number; actions_per_s: number; errors: number };
  traffic: {
    ws_frames_in: number;
    ws_frames_out: number;
    ws_bytes_in: number;
    ws_bytes_out: number;
    ws_frames_in_per_s: number;
    ws_frames_out_per_s: number;
    ws_bytes_in_per_s: number;
    ws_bytes_out_per_s: number;
    http_requests: number;
    http_bytes_in: number;
    note: string;
  };
  generator: {
    cpu_percent: number;
    event_loop_lag_ms: { p50: number; p99: number; max: number };
    heap_bytes_max: number;
    rss_bytes_max: number;
    saturated: boolean;
    note: string;
  };
  server: {
    by_url: Record<string, ServerSummary>;
    samples: ServerSample[];
    errors: Record<string, number>;
  };
  windows: ReportWindow[];
  /**
   * Whole-run judgements; null where no threshold was given. With
   * --find-ceiling the latency and failed-connection thresholds are judged
   * per window instead (`ceiling`), and are null here.
   */
  slo: {
    action_p99_ms: SloCheck | null;
    broadcast_p99_ms: SloCheck | null;
    server_event_loop_p99_ms: SloCheck | null;
    server_memory_growth: MemoryGrowthCheck | null;
    failed_connections: CountCheck | null;
    unexpected_results: UnexpectedResultsCheck | null;
  };
  /** The ceiling search's result (--find-ceiling), else null. */
  ceiling: CeilingReport | null;
  verdict: { pass: boolean; line: string };
}

export interface ReportInputs {
  recorder: MetricsRecorder;
  target: { urls: string[]; wsUrls: string[]; metricsUrls: string[] };
  options: Record<string, unknown>;
  accounts: { source: "login" | "register"; count: number; prepareS: number };
  playersStarted: number;
  /** When the last player started, in seconds from the start; null when not every player was started. */
  rampEndedS: number | null;
  stoppedEarly: boolean;
  serverSamples: ServerSample[];
  serverErrors: Map<string, number>;
  slo: SloThresholds;
  /** Given for a ceiling search: its window length (a multiple of 5 s) and the thresholds windows are judged by. */
  ceiling?: { windowS: number; thresholds: CeilingThresholds };
}

export function buildReport(inputs: ReportInputs): LoadTestReport {
  const { recorder } = inputs;
  const durationS = recorder.elapsedMs / 1000;
  const perSecond = (value: number) => (durationS > 0 ? value / durationS : 0);
  const measures: Record<string, Summary> = {};
  for (const name of [...recorder.measures.keys()].sort()) {
    const summary = recorder.summary(name);
    if (summary) measures[name] = summary;
  }
  const results: Record<string, Record<string, number>> = {};
  for (const [type, byCode] of [...recorder.results].sort(([a], [b]) => a.localeCompare(b))) results[type] = Object.fromEntries(byCode);
  const total: ConnectionCounts = { attempted: 0, made: 0, failed: 0, refused: 0, dropped: 0 };
  for (const counts of Object.values(recorder.connections)) {
    for (const key of Object.keys(total) as Array<keyof ConnectionCounts>) total[key] += counts[key];
  }
  const live = recorder.live();
  const lag = recorder.generatorLoopLag();
  const cpu = recorder.generatorCpuPercent();
  const saturated = isGeneratorSaturated(cpu, lag.p99);

  const windows: ReportWindow[] = windowSpans(recorder.windows, 1, durationS).map((span) => {
    const window = span.windows[0]!;
    const seconds = Math.max(0.001, span.endS - span.startS);
    return {
      ...measureSpan(span, inputs.serverSamples, recorder.playerStartsS),
      actions_per_s: round(window.actions / seconds, 3),
      errors: window.errors,
      ws_frames_in_per_s: round(window.framesIn / seconds, 3),
      ws_frames_out_per_s: round(window.framesOut / seconds, 3),
      ws_bytes_in_per_s: round(window.bytesIn / seconds, 1),
      ws_bytes_out_per_s: round(window.bytesOut / seconds, 1),
      joins: window.joins,
      generator_cpu_percent: nullableRound(window.generatorCpuPercent),
      generator_loop_lag_p99_ms: nullableRound(window.generatorLoopLagP99Ms),
      generator_heap_bytes: window.generatorHeapBytes,
    };
  });

  const byUrl: Record<string, ServerSummary> = {};
  for (const [url, samples] of groupByUrl(inputs.serverSamples)) {
    const values = (pickValue: (sample: ServerSample) => number | null) =>
      samples.map(pickValue).filter((value): value is number => value !== null);
    const cpuValues = values((sample) => sample.cpu_percent);
    byUrl[url] = {
      cpu_percent_mean: cpuValues.length ? round(cpuValues.reduce((a, b) => a + b, 0) / cpuValues.length, 1) : null,
      cpu_percent_max: maxOrNull(cpuValues, 1),
      rss_bytes_max: maxOrNull(values((sample) => sample.rss_bytes), 0),
      event_loop_lag_p99_ms_max: maxOrNull(values((sample) => sample.event_loop_lag_p99_ms), 2),
      clients_max: maxOrNull(values((sample) => sample.clients), 0),
    };
  }

  const thresholds = inputs.slo;
  // A ceiling search judges these per window (below), not over the whole run.
  const wholeRun = inputs.ceiling === undefined;
  const slo: LoadTestReport["slo"] = {
    action_p99_ms: wholeRun ? sloCheck(thresholds.actionP99Ms, measures["action.all"]) : null,
    broadcast_p99_ms: wholeRun ? sloCheck(thresholds.broadcastP99Ms, measures["broadcast.land"]) : null,
    server_event_loop_p99_ms:
      wholeRun && thresholds.serverEventLoopP99Ms !== undefined
        ? judgeServerEventLoop(inputs.serverSamples, thresholds.serverEventLoopP99Ms, inputs.rampEndedS)
        : null,
    server_memory_growth:
      thresholds.serverMemoryGrowthPercent === undefined
        ? null
        : judgeMemoryGrowth(inputs.serverSamples, {
            thresholdPercent: thresholds.serverMemoryGrowthPercent,
            windowS: thresholds.memoryWindowS ?? DEFAULT_MEMORY_WINDOW_S,
            rampEndedS: inputs.rampEndedS,
            durationS,
          }),
    failed_connections: wholeRun && thresholds.failedConnections !== undefined ? judgeFailedConnections(total.failed, thresholds.failedConnections) : null,
    unexpected_results: thresholds.noUnexpectedErrors ? judgeUnexpectedResults(results, droppedByRoom(recorder.counters)) : null,
  };
  let ceiling: CeilingReport | null = null;
  if (inputs.ceiling) {
    const { windowS, thresholds: ceilingThresholds } = inputs.ceiling;
    const judged = ceilingWindows(recorder.windows, windowS / (WINDOW_MS / 1000), durationS, inputs.serverSamples, recorder.playerStartsS);
    ceiling = ceilingReport(judgeCeiling(judged, ceilingThresholds), {
      windowS,
      thresholds: ceilingThresholds,
      allPlayersStarted: inputs.rampEndedS !== null,
      stoppedEarly: inputs.stoppedEarly,
    });
  }
  const report: LoadTestReport = {
    tool: "vlw-loadtest",
    report_version: REPORT_VERSION,
    started_at: new Date(recorder.startedAtMs).toISOString(),
    ended_at: new Date(recorder.startedAtMs + recorder.elapsedMs).toISOString(),
    duration_s: round(durationS, 3),
    target: { urls: inputs.target.urls, ws_urls: inputs.target.wsUrls, metrics_urls: inputs.target.metricsUrls },
    options: inputs.options,
    clock: {
      offset_ms: 0,
      note:
        "broadcast.land = arrival on the generator's clock − updated_at_ms on the database's clock (commit); broadcast.chat = arrival − created_at on the server's clock. " +
        "No offset is corrected: on one machine the clocks are the same; across machines, clock error adds to these figures.",
    },
    accounts: { source: inputs.accounts.source, count: inputs.accounts.count, prepare_s: round(inputs.accounts.prepareS, 3) },
    players: { started: inputs.playersStarted, ramp_ended_s: nullableRound(inputs.rampEndedS) },
    connections: {
      chunk: { ...recorder.connections.chunk },
      land_chat: { ...recorder.connections.land_chat },
      total,
      unfinished_at_end: total.attempted - total.made - total.failed - total.refused,
      failures: Object.fromEntries(recorder.connectionFailures),
    },
    measures: Object.fromEntries(Object.entries(measures).map(([name, summary]) => [name, roundSummary(summary)])),
    results,
    counters: Object.fromEntries([...recorder.counters].sort(([a], [b]) => a.localeCompare(b))),
    throughput: { actions: live.actions, actions_per_s: round(perSecond(live.actions), 3), errors: live.errors },
    traffic: {
      ws_frames_in: recorder.traffic.framesIn,
      ws_frames_out: recorder.traffic.framesOut,
      ws_bytes_in: recorder.traffic.bytesIn,
      ws_bytes_out: recorder.traffic.bytesOut,
      ws_frames_in_per_s: round(perSecond(recorder.traffic.framesIn), 3),
      ws_frames_out_per_s: round(perSecond(recorder.traffic.framesOut), 3),
      ws_bytes_in_per_s: round(perSecond(recorder.traffic.bytesIn), 1),
      ws_bytes_out_per_s: round(perSecond(recorder.traffic.bytesOut), 1),
      http_requests: recorder.traffic.httpRequests,
      http_bytes_in: recorder.traffic.httpBytesIn,
      note: "WebSocket frames (one Colyseus message each) and their payload bytes, both directions, all rooms; 'in' is server → generator. HTTP: terrain, /me and account requests (body bytes).",
    },
    generator: {
      cpu_percent: round(cpu, 1),
      event_loop_lag_ms: { p50: round(lag.p50, 2), p99: round(lag.p99, 2), max: round(lag.max, 2) },
      heap_bytes_max: recorder.generatorHeapMaxBytes,
      rss_bytes_max: recorder.generatorRssMaxBytes,
      saturated,
      note: saturated
        ? `The generator was saturated (event-loop lag p99 > ${GENERATOR_LOOP_LAG_P99_LIMIT_MS} ms or CPU > ${GENERATOR_CPU_LIMIT_PERCENT}% of a core): latencies include its own delay. Run fewer clients per generator, or several generators.`
        : "The generator kept up: its event-loop lag and CPU stayed below the saturation limits.",
    },
    server: { by_url: byUrl, samples: inputs.serverSamples, errors: Object.fromEntries(inputs.serverErrors) },
    windows,
    slo,
    ceiling,
    verdict: { pass: true, line: "" },
  };
  report.verdict = verdictOf(report);
  return report;
}

function sloCheck(threshold: number | undefined, summary: Summary | undefined): SloCheck | null {
  if (threshold === undefined) return null;
  const observed = summary?.p99 ?? null;
  // No samples is not a pass: the thing the threshold is about was not measured.
  return { threshold_ms: threshold, observed_ms: observed === null ? null : round(observed, 3), pass: observed !== null && observed <= threshold };
}

/** The ceiling search's thresholds: the latency and failed-connection ones that were given. */
export function ceilingThresholdsOf(slo: SloThresholds): CeilingThresholds {
  const thresholds: CeilingThresholds = {
    action_p99_ms: slo.actionP99Ms,
    broadcast_p99_ms: slo.broadcastP99Ms,
    server_event_loop_p99_ms: slo.serverEventLoopP99Ms,
    connections_failed: slo.failedConnections,
  };
  return Object.fromEntries(Object.entries(thresholds).filter(([, limit]) => limit !== undefined));
}

const CEILING_LABELS: Record<CeilingMeasure, string> = {
  action_p99_ms: "action p99",
  broadcast_p99_ms: "broadcast p99",
  server_event_loop_p99_ms: "server event-loop p99",
  connections_failed: "failed connections",
};

/** "action p99 312 ms > 250 ms", "failed connections 3 > 0", … */
export function describeBroken(broken: readonly BrokenThreshold[]): string {
  return broken
    .map(({ threshold, observed, limit }) =>
      threshold === "connections_failed" ? `${CEILING_LABELS[threshold]} ${observed} > ${limit}` : `${CEILING_LABELS[threshold]} ${formatMs(observed)} > ${limit} ms`,
    )
    .join(" and ");
}

/** The ceiling for the verdict line: how many players, what broke, and whose ceiling it is. */
export function ceilingVerdict(ceiling: CeilingReport): string {
  switch (ceiling.outcome) {
    case "broken": {
      const broke = ceiling.broke!;
      const players = ceiling.players === null ? `below ${broke.players} players` : `${ceiling.players} players`;
      const whose = broke.generator_saturated ? ", the GENERATOR's ceiling, not the server's: it was saturated" : "";
      return `ceiling ${players} (${describeBroken(broke.thresholds)} at ${broke.players} players${whose})`;
    }
    case "held":
      return `no ceiling up to ${ceiling.players} players`;
    case "stopped_early":
      return `ceiling not found (stopped early; every window held up to ${ceiling.players ?? 0} players)`;
    case "not_judged":
      return "ceiling not judged (no window after the grace window)";
  }
}

/** The table's ceiling line: the verdict's sentence with the windows and times. */
function ceilingLine(ceiling: CeilingReport): string {
  const judged = `${ceiling.window_s}-s windows, ${ceiling.judged_windows} judged after ${ceiling.grace_windows} of grace`;
  const held = ceiling.held ? `; the last that held every threshold ended at ${formatSeconds(ceiling.held.t_s)}` : "";
  const broke = ceiling.broke
    ? `; the first that broke one ended at ${formatSeconds(ceiling.broke.t_s)}, the generator ${ceiling.broke.generator_saturated ? "SATURATED" : "not saturated"}`
    : "";
  return `${ceilingVerdict(ceiling)}: ${judged}${held}${broke}`;
}

/** The one-line verdict: PASS or FAIL against the thresholds (and the ceiling), with what was seen. */
export function verdictOf(report: Pick<LoadTestReport, "slo" | "connections" | "generator"> & Partial<Pick<LoadTestReport, "ceiling">>): {
  pass: boolean;
  line: string;
} {
  const parts: string[] = [];
  let pass = true;
  let judged = false;
  const judge = (check: { pass: boolean } | null | undefined, describe: () => string) => {
    if (!check) return;
    judged = true;
    if (!check.pass) pass = false;
    parts.push(describe());
  };
  const latency = (label: string, check: SloCheck | null | undefined) =>
    judge(check, () =>
      check!.observed_ms === null
        ? `${label} not measured (threshold ${check!.threshold_ms} ms${check!.note ? `: ${check!.note}` : ""})`
        : `${label} ${formatMs(check!.observed_ms)} ${check!.pass ? "≤" : ">"} ${check!.threshold_ms} ms`,
    );
  const { slo, ceiling } = report;
  judge(ceiling, () => ceilingVerdict(ceiling!));
  latency("action p99", slo.action_p99_ms);
  latency("broadcast p99", slo.broadcast_p99_ms);
  latency("server event-loop p99 after the ramp", slo.server_event_loop_p99_ms);
  const memory = slo.server_memory_growth;
  judge(memory, () =>
    memory!.observed_percent === null
      ? `server memory growth not judged (threshold ${memory!.threshold_percent}%): ${memory!.note}`
      : `server memory growth ${memory!.observed_percent}% ${memory!.pass ? "≤" : ">"} ${memory!.threshold_percent}% over the last ${memory!.window_s} s`,
  );
  const unexpected = slo.unexpected_results;
  judge(unexpected, () =>
    unexpected!.pass
      ? "no unexpected result or dropped connection"
      : `${unexpected!.observed} unexpected result(s) or dropped connection(s): ${listResults({ ...unexpected!.results, ...prefixed("dropped ", unexpected!.dropped) }, 3)}`,
  );
  const failed = slo.failed_connections;
  if (failed) judge(failed, () => `${failed.observed} failed connection(s) ${failed.pass ? "≤" : ">"} ${failed.threshold}`);
  else parts.push(`${report.connections.total.failed} failed connection(s)`);
  parts.push(report.generator.saturated ? "GENERATOR SATURATED (latencies include its own delay)" : "generator not saturated");
  const head = judged ? (pass ? "PASS" : "FAIL") : "NO SLO GIVEN";
  return { pass, line: `VERDICT: ${head} — ${parts.join("; ")}` };
}

function prefixed<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [`${prefix}${key}`, value]));
}

/** "buy INTERNAL ×2, http.me 500 ×1, …" (at most `most` of them, the largest first). */
function listResults(results: Record<string, Record<string, number>>, most: number): string {
  const entries = Object.entries(results)
    .flatMap(([type, byCode]) => Object.entries(byCode).map(([code, count]) => ({ type, code, count })))
    .sort((a, b) => b.count - a.count);
  const listed = entries.slice(0, most).map(({ type, code, count }) => `${type} ${code} ×${count}`);
  return entries.length > most ? `${listed.join(", ")}, …` : listed.join(", ");
}

// ----------------------------------------------------------------------------
// Table

const TABLE_ORDER = ["join.", "action.", "broadcast.", "http."];

/** The end-of-run table: percentiles per measure, outcomes per type, traffic, generator, server, verdict. */
export function formatTable(report: LoadTestReport): string {
  const lines: string[] = [];
  const names = Object.keys(report.measures).sort((a, b) => orderOf(a) - orderOf(b) || a.localeCompare(b));
  const header = ["measure (ms)", "count", "p50", "p95", "p99", "max"];
  const rows = names.map((name) => {
    const s = report.measures[name]!;
    return [name, String(s.count), formatNumber(s.p50), formatNumber(s.p95), formatNumber(s.p99), formatNumber(s.max)];
  });
  lines.push(...alignTable([header, ...rows]));
  lines.push("");
  const codeRows = Object.entries(report.results).map(([type, byCode]) => [
    type,
    Object.entries(byCode)
      .sort(([a], [b]) => (a === "ok" ? -1 : b === "ok" ? 1 : a.localeCompare(b)))
      .map(([code, count]) => `${code} ${count}`)
      .join(", "),
  ]);
  lines.push(...alignTable([["outcomes", ""], ...codeRows], new Set([0, 1])));
  lines.push("");
  const { total } = report.connections;
  lines.push(
    `connections: ${total.made} made, ${total.failed} failed, ${total.refused} refused, ${total.dropped} dropped, ${report.connections.unfinished_at_end} still joining at the end ` +
      `(chunk ${report.connections.chunk.made}/${report.connections.chunk.attempted}, land_chat ${report.connections.land_chat.made}/${report.connections.land_chat.attempted})`,
  );
  for (const [reason, count] of Object.entries(report.connections.failures)) lines.push(`  failed: ${reason} ×${count}`);
  const t = report.traffic;
  lines.push(
    `throughput: ${report.throughput.actions} actions (${report.throughput.actions_per_s.toFixed(1)}/s), ${report.throughput.errors} not ok; ` +
      `WebSocket in ${t.ws_frames_in_per_s.toFixed(1)} msg/s ${formatBytes(t.ws_bytes_in_per_s)}/s, out ${t.ws_frames_out_per_s.toFixed(1)} msg/s ${formatBytes(t.ws_bytes_out_per_s)}/s; HTTP ${t.http_requests} requests`,
  );
  const g = report.generator;
  lines.push(`generator: CPU ${g.cpu_percent.toFixed(0)}% of a core, event-loop lag p50 ${g.event_loop_lag_ms.p50.toFixed(1)} ms p99 ${g.event_loop_lag_ms.p99.toFixed(1)} ms max ${g.event_loop_lag_ms.max.toFixed(1)} ms, heap max ${formatBytes(g.heap_bytes_max)}, RSS max ${formatBytes(g.rss_bytes_max)}`);
  for (const [url, s] of Object.entries(report.server.by_url)) {
    lines.push(
      `server ${url}: CPU mean ${fmtNullable(s.cpu_percent_mean, "%")} max ${fmtNullable(s.cpu_percent_max, "%")}, RSS max ${fmtNullableBytes(s.rss_bytes_max)}, ` +
        `event-loop lag p99 max ${fmtNullable(s.event_loop_lag_p99_ms_max, " ms")}, clients max ${fmtNullable(s.clients_max, "")}`,
    );
  }
  if (Object.keys(report.server.by_url).length === 0) lines.push("server: /metrics could not be read");
  const memory = report.slo.server_memory_growth;
  for (const [url, growth] of Object.entries(memory?.by_url ?? {})) {
    lines.push(
      `server ${url} memory over the last ${memory!.window_s} s: mean RSS ${fmtNullableBytes(growth.start_mean_bytes)} in the first ${memory!.edge_s} s, ` +
        `${fmtNullableBytes(growth.end_mean_bytes)} in the last ${memory!.edge_s} s (${fmtNullable(growth.growth_percent, "%")})`,
    );
  }
  for (const [type, byCode] of Object.entries(report.slo.unexpected_results?.results ?? {})) {
    for (const [code, count] of Object.entries(byCode)) lines.push(`  unexpected: ${type} ${code} ×${count} (${unexpectedReason(type, code)})`);
  }
  for (const [room, byCode] of Object.entries(report.slo.unexpected_results?.dropped ?? {})) {
    for (const [code, count] of Object.entries(byCode)) lines.push(`  dropped: ${room} connections closed by the server with code ${code} ×${count}`);
  }
  lines.push(`clock: ${report.clock.note}`);
  if (report.ceiling) lines.push(ceilingLine(report.ceiling));
  lines.push(report.verdict.line);
  return lines.join("\n");
}

function orderOf(name: string): number {
  const index = TABLE_ORDER.findIndex((prefix) => name.startsWith(prefix));
  return index === -1 ? TABLE_ORDER.length : index;
}

/** Pads cells to their column's width: the first column (and `leftColumns`) to the left, numbers to the right. */
function alignTable(rows: string[][], leftColumns: ReadonlySet<number> = new Set([0])): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (leftColumns.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd());
}

// ----------------------------------------------------------------------------
// Chart

interface Series {
  name: string;
  color: string;
  points: Array<[number, number | null]>;
}

const CHART_WIDTH = 960;
const PANEL_HEIGHT = 170;
const MARGIN = { left: 70, right: 200, top: 70, gap: 45 };

/** An SVG line chart per 5-second window: latency p99, actions/s, WebSocket messages/s, CPU. */
export function renderChart(report: LoadTestReport): string {
  const windows = report.windows;
  const xMax = Math.max(WINDOW_MS / 1000, report.duration_s);
  const series = (name: string, color: string, value: (w: ReportWindow) => number | null): Series => ({
    name,
    color,
    // Each window's value at its middle.
    points: windows.map((w, i) => [(w.t_s + (i === 0 ? 0 : windows[i - 1]!.t_s)) / 2, value(w)]),
  });
  const serverCpu: Series[] = Object.keys(report.server.by_url).map((url, i) => ({
    name: `server CPU ${shortUrl(url)}`,
    color: ["#d62728", "#9467bd", "#8c564b", "#e377c2"][i % 4]!,
    points: report.server.samples.filter((s) => s.url === url && s.t_s <= xMax + 1).map((s) => [round(s.t_s, 3), s.cpu_percent]),
  }));
  const panels: Array<{ title: string; series: Series[] }> = [
    {
      title: "latency p99 (ms)",
      series: [series("action p99", "#1f77b4", (w) => w.action_p99_ms), series("broadcast p99", "#ff7f0e", (w) => w.broadcast_p99_ms)],
    },
    { title: "actions per second", series: [series("actions/s", "#2ca02c", (w) => w.actions_per_s)] },
    { title: "players started", series: [series("players", "#000000", (w) => w.players)] },
    {
      title: "WebSocket messages per second",
      series: [series("in (server→gen)", "#17becf", (w) => w.ws_frames_in_per_s), series("out (gen→server)", "#bcbd22", (w) => w.ws_frames_out_per_s)],
    },
    { title: "CPU (% of one core)", series: [...serverCpu, series("generator CPU", "#7f7f7f", (w) => w.generator_cpu_percent)] },
  ];
  const height = MARGIN.top + panels.length * (PANEL_HEIGHT + MARGIN.gap);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="bold">${escapeXml(
      `vlw load test: ${String(report.options.scenario)} scenario, ${String(report.options.clients)} clients, ${report.duration_s.toFixed(0)} s, ${report.started_at}`,
    )}</text>`,
    ...wrap(report.verdict.line, 130).map((line, i) => `<text x="${MARGIN.left}" y="${34 + 13 * i}" fill="#555">${escapeXml(line)}</text>`),
  ];
  panels.forEach((panel, i) => parts.push(renderPanel(panel.title, panel.series, MARGIN.top + 10 + i * (PANEL_HEIGHT + MARGIN.gap), xMax)));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function renderPanel(title: string, series: Series[], top: number, xMax: number): string {
  const left = MARGIN.left;
  const width = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number => v !== null && Number.isFinite(v));
  const yMax = niceCeiling(Math.max(1e-9, ...values, 0));
  const x = (t: number) => left + (Math.min(t, xMax) / xMax) * width;
  const y = (v: number) => top + PANEL_HEIGHT - (Math.max(0, v) / yMax) * PANEL_HEIGHT;
  const out: string[] = [`<g>`, `<text x="${left}" y="${top - 6}" font-weight="bold">${escapeXml(title)}</text>`];
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${left + width}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatTick(v))}</text>`);
  }
  const xStep = niceCeiling(xMax / 8);
  for (let t = 0; t <= xMax + 1e-9; t += xStep) {
    out.push(`<text x="${x(t).toFixed(1)}" y="${top + PANEL_HEIGHT + 14}" text-anchor="middle">${escapeXml(`${formatTick(t)} s`)}</text>`);
  }
  series.forEach((s, i) => {
    const segments: string[] = [];
    let current: string[] = [];
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v)) {
        if (current.length) segments.push(current.join(" "));
        current = [];
        continue;
      }
      current.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    }
    if (current.length) segments.push(current.join(" "));
    for (const segment of segments) {
      const single = !segment.includes(" ");
      if (single) {
        const [cx, cy] = segment.split(",");
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${s.color}"/>`);
      } else {
        out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${segment}"/>`);
      }
    }
    const ly = top + 12 + i * 16;
    out.push(`<line x1="${left + width + 12}" x2="${left + width + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${left + width + 36}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push(`</g>`);
  return out.join("\n");
}

/** Splits text at "; " into lines of at most about `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const part of text.split("; ")) {
    const next = current ? `${current}; ${part}` : part;
    if (current && next.length > width) {
      lines.push(`${current};`);
      current = part;
    } else {
      current = next;
    }
  }
  if (current) lines.push(current);
  return lines;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value * (1 - 1e-12)) return step * magnitude;
  return 10 * magnitude;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// ----------------------------------------------------------------------------
// Formatting helpers

function maxOrNull(values: number[], digits: number): number | null {
  return values.length ? round(Math.max(...values), digits) : null;
}

function roundSummary(summary: Summary): Summary {
  return {
    count: summary.count,
    mean: round(summary.mean, 3),
    min: round(summary.min, 3),
    p50: round(summary.p50, 3),
    p95: round(summary.p95, 3),
    p99: round(summary.p99, 3),
    max: round(summary.max, 3),
  };
}

function formatNumber(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 0.01) return value.toFixed(2);
  return value.toPrecision(2);
}

function formatTick(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function formatMs(value: number): string {
  return `${formatNumber(value)} ms`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes.toFixed(0)} B`;
}

function fmtNullable(value: number | null, unit: string): string {
  return value === null ? "?" : `${value}${unit}`;
}

function fmtNullableBytes(value: number | null): string {
  return value === null ? "?" : formatBytes(value);
}

function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(1))} s`;
}

function shortUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
