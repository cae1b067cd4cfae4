/**
 * The figures of a stretch of the run, built from the recorder's 5-second
 * windows: the report's per-window rows and the ceiling search's windows
 * (one or several 5-second windows each) are both made here, so they say
 * the same thing about the same seconds.
 */
import { WINDOW_MS, type WindowStats } from "./metrics-recorder.js";
import { pooledPercentile } from "./percentiles.js";
import { nullableRound, round } from "./rounding.js";
import type { ServerSample } from "./server-metrics.js";

/** The generator is reported as saturated above these: its own delays would then inflate the latencies. */
export const GENERATOR_LOOP_LAG_P99_LIMIT_MS = 50;
export const GENERATOR_CPU_LIMIT_PERCENT = 85;

export function isGeneratorSaturated(cpuPercent: number | null, loopLagP99Ms: number | null): boolean {
  return (loopLagP99Ms ?? 0) > GENERATOR_LOOP_LAG_P99_LIMIT_MS || (cpuPercent ?? 0) > GENERATOR_CPU_LIMIT_PERCENT;
}

/** Consecutive recorder windows and the seconds (from the start) they cover. */
export interface WindowSpan {
  startS: number;
  endS: number;
  windows: WindowStats[];
}

/**
 * The recorder's windows, `size` at a time. A span ends at its nominal end
 * but not after `endS`, and the run's last span runs to `endS` whatever its
 * nominal length (the recorder counts what happens between the planned end
 * and the stop in the last window).
 */
export function windowSpans(windows: readonly WindowStats[], size: number, endS: number): WindowSpan[] {
  const windowS = WINDOW_MS / 1000;
  const spans: WindowSpan[] = [];
  for (let first = 0; first < windows.length; first += size) {
    const group = windows.slice(first, first + size);
    const isLast = first + size >= windows.length;
    const nominalEndS = (group.at(-1)!.index + 1) * windowS;
    spans.push({ startS: group[0]!.index * windowS, endS: isLast ? endS : Math.min(nominalEndS, endS), windows: group });
  }
  return spans;
}

/** What the thresholds are judged on, for one span of the run. */
export interface WindowMeasures {
  /** Seconds from the start to the end of the span. */
  t_s: number;
  /** Players started by the end of the span. */
  players: number;
  action_p99_ms: number | null;
  broadcast_p99_ms: number | null;
  /** The highest event-loop lag p99 among the server samples taken during the span (any server); null without one. */
  server_event_loop_p99_ms: number | null;
  connections_failed: number;
  /** The generator was saturated in at least one of the span's 5-second windows. */
  generator_saturated: boolean;
}

export function measureSpan(span: WindowSpan, serverSamples: readonly ServerSample[], playerStartsS: readonly number[]): WindowMeasures {
  const lags = serverSamples
    .filter((sample) => sample.t_s >= span.startS && sample.t_s < span.endS)
    .map((sample) => sample.event_loop_lag_p99_ms)
    .filter((lag): lag is number => lag !== null);
  return {
    t_s: round(span.endS, 3),
    players: countAtOrBelow(playerStartsS, span.endS),
    action_p99_ms: nullableRound(pooledPercentile(span.windows.map((w) => w.actionLatency), 99)),
    broadcast_p99_ms: nullableRound(pooledPercentile(span.windows.map((w) => w.landBroadcastLatency), 99)),
    server_event_loop_p99_ms: lags.length ? round(Math.max(...lags), 3) : null,
    connections_failed: span.windows.reduce((sum, w) => sum + w.connectionsFailed, 0),
    generator_saturated: span.windows.some((w) => isGeneratorSaturated(w.generatorCpuPercent, w.generatorLoopLagP99Ms)),
  };
}

/** How many of the ascending `values` are at most `limit`. */
export function countAtOrBelow(values: readonly number[], limit: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= limit) low = middle + 1;
    else high = middle;
  }
  return low;
}
