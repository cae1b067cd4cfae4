import { describe, expect, it } from "vitest";
import { escapeXml, niceCeiling, verdictOf, type SloCheck } from "../../loadtest/report.js";
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
