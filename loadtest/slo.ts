/**
 * The whole-run judgements beyond the latency percentiles: the server's
 * event-loop lag after warm-up, its memory growth at the end of the run,
 * failed connections and unexpected results. Pure: figures in, judgement out.
 * (Per-window judgements for the ceiling search are in ceiling.ts.)
 */
import { unexpectedResults } from "./result-codes.js";
import { round } from "./rounding.js";
import type { ServerSample } from "./server-metrics.js";

/** The thresholds a run can be judged against (all optional). */
export interface SloThresholds {
  actionP99Ms?: number;
  broadcastP99Ms?: number;
  serverEventLoopP99Ms?: number;
  serverMemoryGrowthPercent?: number;
  /** The last seconds of the run over which memory growth is judged. */
  memoryWindowS?: number;
  failedConnections?: number;
  noUnexpectedErrors?: boolean;
}

export const DEFAULT_MEMORY_WINDOW_S = 180;
/** Memory growth compares the mean RSS of the first and the last this-many seconds of the window (a third of it when shorter). */
export const MEMORY_EDGE_S = 30;

export interface SloCheck {
  threshold_ms: number;
  observed_ms: number | null;
  pass: boolean;
  /** Why nothing was observed, when that is not obvious. */
  note?: string;
}

export interface MemoryGrowthCheck {
  threshold_percent: number;
  window_s: number;
  /** Length of the two stretches, at the start and at the end of the window, whose mean RSS are compared. */
  edge_s: number;
  /** The largest growth among the servers; null when it could not be judged. */
  observed_percent: number | null;
  by_url: Record<string, { start_mean_bytes: number | null; end_mean_bytes: number | null; growth_percent: number | null }>;
  pass: boolean;
  /** Why it was not judged, or null. */
  note: string | null;
}

export interface CountCheck {
  threshold: number;
  observed: number;
  pass: boolean;
}

export interface UnexpectedResultsCheck {
  /** Unexpected results plus connections the server dropped. */
  observed: number;
  /** type → code → count of the results that are not part of play (result-codes.ts). */
  results: Record<string, Record<string, number>>;
  /** room kind → close code → connections the server closed while the player meant to stay (none is part of play). */
  dropped: Record<string, Record<string, number>>;
  pass: boolean;
}

/**
 * The server's event-loop lag p99 after warm-up. Warm-up lasts until the
 * last player has started (`rampEndedS`, null when the ramp never finished).
 * prom-client's histogram restarts at each scrape, so a sample summarises
 * the time since the previous sample of the same server: a sample is judged
 * when that previous sample was itself taken after the ramp, i.e. all of
 * what it summarises is after warm-up. Observed: the highest judged value.
 */
export function judgeServerEventLoop(samples: readonly ServerSample[], thresholdMs: number, rampEndedS: number | null): SloCheck {
  const judged: number[] = [];
  if (rampEndedS !== null) {
    for (const serverSamples of groupByUrl(samples).values()) {
      serverSamples.forEach((sample, i) => {
        const previous = serverSamples[i - 1];
        if (previous && previous.t_s >= rampEndedS && sample.event_loop_lag_p99_ms !== null) judged.push(sample.event_loop_lag_p99_ms);
      });
    }
  }
  const observed = judged.length ? round(Math.max(...judged), 3) : null;
  const check: SloCheck = { threshold_ms: thresholdMs, observed_ms: observed, pass: observed !== null && observed <= thresholdMs };
  if (observed === null) {
    check.note = rampEndedS === null ? "the ramp did not finish, so there is no sample after warm-up" : "no server sample covers only the time after the ramp";
  }
  return check;
}

/**
 * Growth of each server's resident memory over the last `windowS` seconds of
 * the run: the mean RSS of the window's last `edge` seconds against the mean
 * of its first `edge` seconds (edge = 30 s, or a third of a shorter window).
 * Means of several samples rather than two single samples, so that where in
 * its garbage-collection sawtooth the heap happened to be at one instant
 * does not decide the verdict; a leak still shows as the end sitting higher
 * than the start. The window must lie after the ramp (after warm-up): a run
 * shorter than the ramp plus the window is not judged, and fails.
 */
export function judgeMemoryGrowth(
  samples: readonly ServerSample[],
  judgement: { thresholdPercent: number; windowS: number; rampEndedS: number | null; durationS: number },
): MemoryGrowthCheck {
  const { thresholdPercent, windowS, rampEndedS, durationS } = judgement;
  const edgeS = Math.min(MEMORY_EDGE_S, windowS / 3);
  const check: MemoryGrowthCheck = {
    threshold_percent: thresholdPercent,
    window_s: windowS,
    edge_s: round(edgeS, 3),
    observed_percent: null,
    by_url: {},
    pass: false,
    note: null,
  };
  const windowStartS = durationS - windowS;
  if (rampEndedS === null) return { ...check, note: "the ramp did not finish, so no stretch of the run lies after warm-up" };
  if (windowStartS < rampEndedS) {
    return {
      ...check,
      note: `the run (${round(durationS, 1)} s) is shorter than the ramp (${round(rampEndedS, 1)} s) plus the memory window (${windowS} s)`,
    };
  }
  const servers = groupByUrl(samples);
  if (servers.size === 0) return { ...check, note: "no server sample" };
  const growths: number[] = [];
  const missing: string[] = [];
  for (const [url, serverSamples] of servers) {
    // The last edge has no upper bound: the sample taken as the load stops belongs to it.
    const startMean = meanRss(serverSamples.filter((s) => s.t_s >= windowStartS && s.t_s < windowStartS + edgeS));
    const endMean = meanRss(serverSamples.filter((s) => s.t_s >= durationS - edgeS));
    const growth = startMean !== null && endMean !== null && startMean > 0 ? round(((endMean - startMean) / startMean) * 100, 2) : null;
    check.by_url[url] = { start_mean_bytes: startMean === null ? null : Math.round(startMean), end_mean_bytes: endMean === null ? null : Math.round(endMean), growth_percent: growth };
    if (growth === null) missing.push(url);
    else growths.push(growth);
  }
  if (missing.length) return { ...check, note: `no RSS sample at the start or at the end of the window from ${missing.join(", ")}` };
  const observed = Math.max(...growths);
  return { ...check, observed_percent: observed, pass: observed <= thresholdPercent };
}

export function judgeFailedConnections(failed: number, threshold: number): CountCheck {
  return { threshold, observed: failed, pass: failed <= threshold };
}

type CountsByCode = Readonly<Record<string, Readonly<Record<string, number>>>>;
const total = (counts: CountsByCode) => Object.values(counts).reduce((sum, byCode) => sum + Object.values(byCode).reduce((a, b) => a + b, 0), 0);

/**
 * No error other than the business codes: every result is `ok` or a business
 * refusal, and no connection was dropped by the server (a drop outside an
 * action answers nothing, yet a player was thrown out).
 */
export function judgeUnexpectedResults(results: CountsByCode, dropped: Record<string, Record<string, number>> = {}): UnexpectedResultsCheck {
  const unexpected = unexpectedResults(results);
  const observed = total(unexpected) + total(dropped);
  return { observed, results: unexpected, dropped, pass: observed === 0 };
}

/** room kind → close code → count, from the recorder's `dropped.<room>.<code>` counters. */
export function droppedByRoom(counters: ReadonlyMap<string, number>): Record<string, Record<string, number>> {
  const dropped: Record<string, Record<string, number>> = {};
  for (const [name, count] of counters) {
    const match = /^dropped\.([^.]+)\.(.+)$/.exec(name);
    if (match) (dropped[match[1]!] ??= {})[match[2]!] = count;
  }
  return dropped;
}

/** Samples per server URL, each list in the order taken. */
export function groupByUrl(samples: readonly ServerSample[]): Map<string, ServerSample[]> {
  const byUrl = new Map<string, ServerSample[]>();
  for (const sample of samples) {
    let list = byUrl.get(sample.url);
    if (!list) byUrl.set(sample.url, (list = []));
    list.push(sample);
  }
  for (const list of byUrl.values()) list.sort((a, b) => a.t_s - b.t_s);
  return byUrl;
}

function meanRss(samples: readonly ServerSample[]): number | null {
  const values = samples.map((s) => s.rss_bytes).filter((v): v is number => v !== null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
