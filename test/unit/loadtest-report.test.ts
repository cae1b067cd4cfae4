import { describe, expect, it } from "vitest";
import { ceilingReport, judgeCeiling } from "../../loadtest/ceiling.js";
import { escapeXml, niceCeiling, verdictOf, type SloCheck } from "../../loadtest/report.js";
import { judgeFailedConnections, judgeMemoryGrowth, judgeServerEventLoop, judgeUnexpectedResults } from "../../loadtest/slo.js";
import type { WindowMeasures } from "../../loadtest/windows.js";
import { parsePrometheusSums } from "../../loadtest/server-metrics.js";

const connections = { total: { attempted: 10, made: 10, failed: 0, refused: 0, dropped: 0 } };
const generator = { saturated: false };
const check = (threshold_ms: number, observed_ms: number | null): SloCheck => ({
  threshold_ms,
  observed_ms,
  pass: observed_ms !== null && observed_ms <= threshold_ms,
});

describe("the load test's verdict", () => {
  it("passes when every given threshold holds", () => {
    const verdict = verdictOf({ slo: { action_p99_ms: check(100, 42), broadcast_p99_ms: check(200, 80) }, connections, generator } as never);
    expect(verdict.pass).toBe(true);
    expect(verdict.line).toMatch(/^VERDICT: PASS — action p99 42.0 ms ≤ 100 ms; broadcast p99 80.0 ms ≤ 200 ms/);
  });

  it("fails when a threshold is missed, or when what it is about was not measured", () => {
    expect(verdictOf({ slo: { action_p99_ms: check(0.001, 3), broadcast_p99_ms: null }, connections, generator } as never)).toMatchObject({
      pass: false,
      line: expect.stringMatching(/^VERDICT: FAIL — action p99 3.00 ms > 0.001 ms/),
    });
    expect(verdictOf({ slo: { action_p99_ms: null, broadcast_p99_ms: check(100, null) }, connections, generator } as never).pass).toBe(false);
  });

  it("is informational without thresholds, and says when the generator was saturated", () => {
    const verdict = verdictOf({ slo: { action_p99_ms: null, broadcast_p99_ms: null }, connections, generator: { saturated: true } } as never);
    expect(verdict.pass).toBe(true);
    expect(verdict.line).toMatch(/NO SLO GIVEN.*GENERATOR SATURATED/);
  });
});

describe("the verdict on the server's health and the run's errors", () => {
  const none = { action_p99_ms: null, broadcast_p99_ms: null };

  it("says why the event loop and the memory were not judged, and fails", () => {
    const slo = {
      ...none,
      server_event_loop_p99_ms: judgeServerEventLoop([], 25, null),
      server_memory_growth: judgeMemoryGrowth([], { thresholdPercent: 10, windowS: 180, rampEndedS: 10, durationS: 60 }),
    };
    const verdict = verdictOf({ slo, connections, generator } as never);
    expect(verdict.pass).toBe(false);
    expect(verdict.line).toContain("server event-loop p99 after the ramp not measured (threshold 25 ms: the ramp did not finish");
    expect(verdict.line).toContain("server memory growth not judged (threshold 10%): the run (60 s) is shorter than the ramp (10 s) plus the memory window (180 s)");
  });

  it("lists unexpected results and compares failed connections with their threshold", () => {
    const slo = { ...none, unexpected_results: judgeUnexpectedResults({ buy: { ok: 3, INTERNAL: 2 }, "http.me": { "500": 1 } }), failed_connections: judgeFailedConnections(0, 0) };
    const verdict = verdictOf({ slo, connections, generator } as never);
    expect(verdict.pass).toBe(false);
    expect(verdict.line).toMatch(/^VERDICT: FAIL — 3 unexpected result\(s\) or dropped connection\(s\): buy INTERNAL ×2, http.me 500 ×1; 0 failed connection\(s\) ≤ 0/);
  });

  it("says the ceiling is the generator's when the generator was saturated as the threshold broke", () => {
    const window = (t_s: number, players: number, action_p99_ms: number, generator_saturated: boolean): WindowMeasures => ({
      t_s, players, action_p99_ms, broadcast_p99_ms: null, server_event_loop_p99_ms: null, connections_failed: 0, generator_saturated,
    });
    const run = { windowS: 10, thresholds: { action_p99_ms: 250 }, allPlayersStarted: false, stoppedEarly: false };
    const ceilingOf = (saturated: boolean) =>
      ceilingReport(judgeCeiling([window(10, 50, 90, false), window(20, 100, 120, false), window(30, 150, 400, saturated)], run.thresholds), run);
    const generatorBound = verdictOf({ slo: none, connections, generator, ceiling: ceilingOf(true) } as never);
    expect(generatorBound).toEqual({ pass: false, line: expect.stringMatching(/^VERDICT: FAIL — ceiling 100 players \(action p99 400 ms > 250 ms at 150 players, the GENERATOR's ceiling, not the server's/) });
    expect(verdictOf({ slo: none, connections, generator, ceiling: ceilingOf(false) } as never).line).not.toMatch(/GENERATOR's/);
  });
});

describe("reading the server's /metrics", () => {
  it("sums every label set of the wanted series and skips comments and other series", () => {
    const text = [
      "# HELP vlw_process_cpu_seconds_total Total user and system CPU time spent in seconds.",
      "# TYPE vlw_process_cpu_seconds_total counter",
      "vlw_process_cpu_seconds_total 12.5",
      'vlw_clients{room="chunk"} 90',
      'vlw_clients{room="land_chat"} 7',
      "vlw_process_resident_memory_bytes 123456789",
      "vlw_process_cpu_user_seconds_total 10",
      'vlw_rooms{room="chunk"} 4',
    ].join("\n");
    const sums = parsePrometheusSums(text, ["vlw_process_cpu_seconds_total", "vlw_clients", "vlw_process_resident_memory_bytes", "vlw_missing"]);
    expect(Object.fromEntries(sums)).toEqual({ vlw_process_cpu_seconds_total: 12.5, vlw_clients: 97, vlw_process_resident_memory_bytes: 123456789 });
  });
});

describe("chart helpers", () => {
  it("rounds axis maxima up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(180)).toBe(200);
    expect(niceCeiling(0.23)).toBeCloseTo(0.25);
    expect(niceCeiling(4000)).toBe(5000);
    expect(niceCeiling(0)).toBe(1);
  });

  it("escapes text for SVG", () => {
    expect(escapeXml(`a<b & "c">`)).toBe("a&lt;b &amp; &quot;c&quot;&gt;");
  });
});
