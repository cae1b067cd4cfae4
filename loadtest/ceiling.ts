/**
 * The ceiling search (`--find-ceiling`): players keep arriving at the ramp's
 * rate while each window of the run is judged against the latency
 * thresholds; the first window that breaks one ends the search. The largest
 * number of players that held is the ceiling.
 *
 * `judgeCeiling` is pure (windows in, judgement out); it runs while the test
 * runs (to stop at the break) and once more on the final windows for the
 * report.
 */
import type { WindowStats } from "./metrics-recorder.js";
import type { ServerSample } from "./server-metrics.js";
import { measureSpan, windowSpans, type WindowMeasures } from "./windows.js";

/** What a window is judged on; each key is also the `WindowMeasures` field it limits. */
export const CEILING_MEASURES = ["action_p99_ms", "broadcast_p99_ms", "server_event_loop_p99_ms", "connections_failed"] as const;
export type CeilingMeasure = (typeof CEILING_MEASURES)[number];
export type CeilingThresholds = Partial<Record<CeilingMeasure, number>>;

/** Windows not judged after the first one with a player: players join cold chunks then, which says little about how many the server holds. */
export const CEILING_GRACE_WINDOWS = 1;
export const DEFAULT_CEILING_WINDOW_S = 10;

export interface BrokenThreshold {
  threshold: CeilingMeasure;
  observed: number;
  limit: number;
}

export interface CeilingJudgement {
  /** Windows judged (after the grace), up to and including the one that broke. */
  judged_windows: number;
  /** The last judged window that held every threshold, before any break. */
  held: { t_s: number; players: number } | null;
  /** The first judged window that broke a threshold, with every threshold it broke. */
  broke: { t_s: number; players: number; thresholds: BrokenThreshold[]; generator_saturated: boolean } | null;
}

export interface CeilingReport extends CeilingJudgement {
  window_s: number;
  grace_windows: number;
  thresholds: CeilingThresholds;
  /**
   * `broken`: a window broke a threshold; `held`: every window held until all
   * players were in and the duration was over; `stopped_early`: the run was
   * stopped before either; `not_judged`: no window after the grace.
   */
  outcome: "broken" | "held" | "stopped_early" | "not_judged";
  /** Players started by the end of the last window that held every threshold; null when none held. */
  players: number | null;
  pass: boolean;
}

/** Thresholds that `window` breaks: measured and above the limit. A measure without a sample in the window neither breaks nor confirms its threshold. */
export function brokenThresholds(window: WindowMeasures, thresholds: CeilingThresholds): BrokenThreshold[] {
  const broken: BrokenThreshold[] = [];
  for (const threshold of CEILING_MEASURES) {
    const limit = thresholds[threshold];
    const observed = window[threshold];
    if (limit !== undefined && observed !== null && observed > limit) broken.push({ threshold, observed, limit });
  }
  return broken;
}

/**
 * Judges windows in order. Windows before the first player are skipped, the
 * first `graceWindows` with players are not judged, and judging stops at the
 * first window that breaks a threshold.
 */
export function judgeCeiling(windows: readonly WindowMeasures[], thresholds: CeilingThresholds, graceWindows = CEILING_GRACE_WINDOWS): CeilingJudgement {
  const judgement: CeilingJudgement = { judged_windows: 0, held: null, broke: null };
  let graceLeft = graceWindows;
  for (const window of windows) {
    if (window.players === 0) continue;
    if (graceLeft > 0) {
      graceLeft--;
      continue;
    }
    judgement.judged_windows++;
    const broken = brokenThresholds(window, thresholds);
    if (broken.length > 0) {
      judgement.broke = { t_s: window.t_s, players: window.players, thresholds: broken, generator_saturated: window.generator_saturated };
      return judgement;
    }
    judgement.held = { t_s: window.t_s, players: window.players };
  }
  return judgement;
}

/** The report's `ceiling`: the judgement and what it means for the run. */
export function ceilingReport(
  judgement: CeilingJudgement,
  run: { windowS: number; thresholds: CeilingThresholds; allPlayersStarted: boolean; stoppedEarly: boolean },
): CeilingReport {
  const outcome: CeilingReport["outcome"] = judgement.broke
    ? "broken"
    : judgement.judged_windows === 0
      ? "not_judged"
      : run.allPlayersStarted && !run.stoppedEarly
        ? "held"
        : "stopped_early";
  return {
    window_s: run.windowS,
    grace_windows: CEILING_GRACE_WINDOWS,
    thresholds: run.thresholds,
    outcome,
    players: judgement.held?.players ?? null,
    ...judgement,
    pass: outcome === "held",
  };
}

/** The ceiling search's windows (`groupSize` 5-second windows each) from the recorder's, up to `endS`. */
export function ceilingWindows(
  windows: readonly WindowStats[],
  groupSize: number,
  endS: number,
  serverSamples: readonly ServerSample[],
  playerStartsS: readonly number[],
): WindowMeasures[] {
  return windowSpans(windows, groupSize, endS).map((span) => measureSpan(span, serverSamples, playerStartsS));
}

/**
 * How long a ceiling search lasts when nothing breaks: until every player
 * has started and played a whole window, and `durationS` is over; rounded up
 * to whole windows so that the last one is complete.
 */
export function ceilingRunS(durationS: number, clients: number, rampPerS: number, windowS: number): number {
  const lastStartS = (clients - 1) / rampPerS;
  return Math.ceil(Math.max(durationS, lastStartS + windowS) / windowS - 1e-9) * windowS;
}
