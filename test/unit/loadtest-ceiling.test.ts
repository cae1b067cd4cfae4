import { describe, expect, it } from "vitest";
import { ceilingReport, ceilingRunS, ceilingWindows, judgeCeiling, type CeilingThresholds } from "../../loadtest/ceiling.js";
import { emptyWindow, type WindowStats } from "../../loadtest/metrics-recorder.js";
import type { ServerSample } from "../../loadtest/server-metrics.js";
import type { WindowMeasures } from "../../loadtest/windows.js";

/** A 10-second window ending at `t_s` that holds every threshold below unless told otherwise. */
const window = (t_s: number, players: number, measures: Partial<WindowMeasures> = {}): WindowMeasures => ({
  t_s,
  players,
  action_p99_ms: 100,
  broadcast_p99_ms: 50,
  server_event_loop_p99_ms: 10,
  connections_failed: 0,
  generator_saturated: false,
  ...measures,
});

const thresholds: CeilingThresholds = { action_p99_ms: 250, broadcast_p99_ms: 100, server_event_loop_p99_ms: 25, connections_failed: 0 };

describe("judging the windows of a ceiling search", () => {
  it("names the last window that held and every threshold the first breaking window broke, with observed and limit", () => {
    const judgement = judgeCeiling(
      [
        window(10, 100),
        window(20, 200),
        window(30, 300),
        window(40, 400, { action_p99_ms: 320, server_event_loop_p99_ms: 40 }),
        window(50, 500, { broadcast_p99_ms: 900 }),
      ],
      thresholds,
    );
    expect(judgement.held).toEqual({ t_s: 30, players: 300 });
    expect(judgement.broke).toEqual({
      t_s: 40,
      players: 400,
      thresholds: [
        { threshold: "action_p99_ms", observed: 320, limit: 250 },
        { threshold: "server_event_loop_p99_ms", observed: 40, limit: 25 },
      ],
      generator_saturated: false,
    });
    expect(judgement.judged_windows).toBe(3);
  });

  it("does not judge the first window with players (the grace), nor windows before the first player", () => {
    const judgement = judgeCeiling(
      [window(10, 0, { action_p99_ms: 9_000 }), window(20, 50, { action_p99_ms: 9_000 }), window(30, 100), window(40, 150)],
      thresholds,
    );
    expect(judgement.broke).toBeNull();
    expect(judgement.held).toEqual({ t_s: 40, players: 150 });
    expect(judgement.judged_windows).toBe(2);
  });

  it("judges only the thresholds given, and counts more failed connections than allowed as a break", () => {
    const windows = [window(10, 10), window(20, 20, { action_p99_ms: 9_000, connections_failed: 2 })];
    expect(judgeCeiling(windows, { broadcast_p99_ms: 100 }).broke).toBeNull();
    expect(judgeCeiling(windows, { connections_failed: 1 }).broke?.thresholds).toEqual([{ threshold: "connections_failed", observed: 2, limit: 1 }]);
  });

  it("lets a window without a sample of a measure neither break nor confirm that threshold", () => {
    const judgement = judgeCeiling([window(10, 10), window(20, 20, { action_p99_ms: null, broadcast_p99_ms: null, server_event_loop_p99_ms: null })], thresholds);
    expect(judgement.broke).toBeNull();
    expect(judgement.held).toEqual({ t_s: 20, players: 20 });
  });

  it("carries whether the generator was saturated when the threshold broke", () => {
    const judgement = judgeCeiling([window(10, 10), window(20, 20, { action_p99_ms: 400, generator_saturated: true })], thresholds);
    expect(judgement.broke?.generator_saturated).toBe(true);
  });
});

describe("the ceiling in the report", () => {
  const run = { windowS: 10, thresholds, allPlayersStarted: true, stoppedEarly: false };

  it("fails with the players of the last window that held when a threshold broke", () => {
    const report = ceilingReport(judgeCeiling([window(10, 10), window(20, 20), window(30, 30, { action_p99_ms: 300 })], thresholds), run);
    expect(report).toMatchObject({ outcome: "broken", players: 20, pass: false, broke: { players: 30 } });
  });

  it("has no players when the first judged window broke", () => {
    const report = ceilingReport(judgeCeiling([window(10, 10), window(20, 20, { action_p99_ms: 300 })], thresholds), run);
    expect(report).toMatchObject({ outcome: "broken", players: null, pass: false });
  });

  it("passes only when every window held with every player in and the run was not stopped early", () => {
    const judgement = judgeCeiling([window(10, 10), window(20, 20)], thresholds);
    expect(ceilingReport(judgement, run)).toMatchObject({ outcome: "held", players: 20, pass: true });
    expect(ceilingReport(judgement, { ...run, stoppedEarly: true })).toMatchObject({ outcome: "stopped_early", pass: false });
    expect(ceilingReport(judgement, { ...run, allPlayersStarted: false })).toMatchObject({ outcome: "stopped_early", pass: false });
    expect(ceilingReport(judgeCeiling([window(10, 10)], thresholds), run)).toMatchObject({ outcome: "not_judged", players: null, pass: false });
  });
});

describe("the windows of a ceiling search", () => {
  const stats = (index: number, actionLatencies: number[], fields: Partial<WindowStats> = {}): WindowStats => {
    const window: WindowStats = { ...emptyWindow(index), generatorCpuPercent: 20, generatorLoopLagP99Ms: 5, ...fields };
    for (const value of actionLatencies) window.actionLatency.add(value);
    return window;
  };
  const sample = (t_s: number, url: string, lag: number): ServerSample => ({ t_s, url, cpu_percent: 10, rss_bytes: 1, event_loop_lag_p99_ms: lag, clients: 1 });

  it("pools two 5-second windows into one 10-second window with the players started by its end", () => {
    const tens = Array.from({ length: 99 }, () => 10);
    const windows = [stats(0, tens), stats(1, [500], { connectionsFailed: 1 }), stats(2, [20], { generatorLoopLagP99Ms: 80, connectionsFailed: 2 })];
    const samples = [sample(4, "a", 3), sample(9, "a", 7), sample(9.5, "b", 12), sample(14, "a", 30)];
    const measured = ceilingWindows(windows, 2, 13, samples, [0, 0.5, 9.9, 10.2]);
    expect(measured).toEqual([
      {
        t_s: 10,
        players: 3,
        // 100 samples: the 99th smallest is a 10, the largest (500) is the 100th.
        action_p99_ms: 10,
        broadcast_p99_ms: null,
        server_event_loop_p99_ms: 12,
        connections_failed: 1,
        generator_saturated: false,
      },
      // The run's last window runs to its end (13 s here); the server sample after it is not in it.
      { t_s: 13, players: 4, action_p99_ms: 20, broadcast_p99_ms: null, server_event_loop_p99_ms: null, connections_failed: 2, generator_saturated: true },
    ]);
  });

  it("lasts, when nothing breaks, until every player has played a whole window and the duration is over, in whole windows", () => {
    expect(ceilingRunS(20, 20, 10, 5)).toBe(20);
    expect(ceilingRunS(60, 1_000, 10, 10)).toBe(110); // last player at 99.9 s, then a window
    expect(ceilingRunS(300, 1_000, 10, 10)).toBe(300);
    expect(ceilingRunS(61, 1, 10, 10)).toBe(70);
  });
});
