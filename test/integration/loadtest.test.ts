import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoadTest, TargetRefusedError, type LoadTestOptions, type LoadTestResult } from "../../loadtest/run.js";
import { registerAdmin } from "../helpers/accounts.js";
import { apiClient } from "../helpers/http-client.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let server: TestServer;
let adminToken: string;
let workDir: string;

beforeAll(async () => {
  server = await startTestServer();
  adminToken = (await registerAdmin(server, apiClient(server.baseUrl))).token;
  workDir = await mkdtemp(path.join(tmpdir(), "vlw-loadtest-"));
});

/** 20 registered players in the mixed scenario (think time 400 ms) against the test server, /metrics every 2 s, quietly. */
function mixedRun(accountsPrefix: string, options: Pick<LoadTestOptions, "durationS" | "rampPerS" | "seed"> & Partial<LoadTestOptions>): Promise<LoadTestResult> {
  return runLoadTest({
    url: server.baseUrl,
    clients: 20,
    scenario: "mixed",
    thinkMs: 400,
    accounts: { kind: "register", prefix: accountsPrefix, password: "load-test-password", adminToken, balanceBdt: 500_000 },
    metricsIntervalS: 2,
    progress: false,
    log: () => {},
    ...options,
  });
}

afterAll(async () => {
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("the load tester", () => {
  it("refuses a target that is not this machine unless --allow-remote is given, before sending anything", async () => {
    const attempt = runLoadTest({
      url: "http://198.51.100.7:2567",
      clients: 1,
      durationS: 1,
      rampPerS: 1,
      scenario: "roam",
      seed: 1,
      accounts: { kind: "login", prefix: "demo", password: "demo-password" },
      log: () => {},
    });
    await expect(attempt).rejects.toThrow(TargetRefusedError);
    await expect(attempt).rejects.toThrow(/--allow-remote/);
  });

  describe("20 players in the mixed scenario for 15 s", () => {
    let result: LoadTestResult;
    /** How long runLoadTest took, accounts and leaving included: every change the players saw was made and seen within it. */
    let runWallMs: number;
    const reportPath = () => path.join(workDir, "report.json");
    const chartPath = () => path.join(workDir, "chart.svg");

    beforeAll(async () => {
      const before = Date.now();
      result = await mixedRun("lt", {
        durationS: 15,
        rampPerS: 20,
        seed: 7,
        reportPath: reportPath(),
        chartPath: chartPath(),
        // Impossible on purpose: the verdict must fail (exit code 1).
        sloActionP99Ms: 0.001,
        sloBroadcastP99Ms: 60_000,
        // Reachable: judged after the ramp (about 1 s here) and over the last 6 s.
        sloEventLoopP99Ms: 60_000,
        sloMemoryGrowthPercent: 1_000,
        memoryWindowS: 6,
        sloNoUnexpectedErrors: true,
      });
      runWallMs = Date.now() - before;
    }, 60_000);

    it("connects every player without a failed connection and leaves every room at the end", async () => {
      const { connections } = result.report;
      expect(connections.total.failed).toBe(0);
      expect(connections.failures).toEqual({});
      expect(connections.chunk.made).toBeGreaterThanOrEqual(20 * 4); // at least the 2×2 corner block each
      expect(result.report.players.started).toBe(20);
      await expect.poll(async () => (await fetch(`${server.baseUrl}/metrics`).then((r) => r.text())).match(/^vlw_clients\{room="chunk"\} (\d+)/m)?.[1], { timeout: 10_000 }).toBe("0");
    });

    it("measures join times and the latency of every kind of action", () => {
      const { measures } = result.report;
      expect(measures["join.chunk"]?.count).toBeGreaterThan(0);
      for (const type of ["buy", "fence", "set_message", "list", "bid", "chat_msg"]) {
        expect(measures[`action.${type}`]?.count, type).toBeGreaterThan(0);
        expect(result.report.results[type]?.ok, type).toBeGreaterThan(0);
      }
      expect(measures["action.all"]!.p99).toBeGreaterThan(0);
      expect(measures["action.all"]!.p50).toBeLessThanOrEqual(measures["action.all"]!.p99);
      expect(measures["http.chunk_terrain"]?.count).toBeGreaterThan(0);
    });

    it("gets only business answers: no action lost to a closed room (players walking away wait for their answers), a timeout or a server error", () => {
      expect(result.report.slo.unexpected_results).toMatchObject({ observed: 0, pass: true });
    });

    it("records broadcast latencies of land changes at the other players of the chunk", () => {
      const broadcast = result.report.measures["broadcast.land"];
      expect(broadcast?.count).toBeGreaterThan(0);
      // Same machine: no clock offset, so a latency is never much below zero, nor longer than the whole run (however loaded the machine).
      expect(broadcast!.min).toBeGreaterThan(-5);
      expect(broadcast!.max).toBeLessThanOrEqual(runWallMs);
      expect(result.report.clock.offset_ms).toBe(0);
    });

    it("counts traffic both ways and reads the server's CPU and memory from /metrics", () => {
      const { traffic, server: serverMetrics, generator } = result.report;
      expect(traffic.ws_frames_in).toBeGreaterThan(0);
      expect(traffic.ws_frames_out).toBeGreaterThan(0);
      expect(traffic.ws_bytes_in).toBeGreaterThan(traffic.ws_frames_in);
      const metrics = Object.values(serverMetrics.by_url)[0]!;
      expect(metrics.rss_bytes_max).toBeGreaterThan(0);
      expect(metrics.cpu_percent_max).not.toBeNull();
      expect(generator.cpu_percent).toBeGreaterThan(0);
      expect(typeof generator.saturated).toBe("boolean");
    });

    it("fails the verdict on an impossible SLO and passes the reachable ones", () => {
      expect(result.report.slo.action_p99_ms).toMatchObject({ threshold_ms: 0.001, pass: false });
      expect(result.report.slo.broadcast_p99_ms).toMatchObject({ threshold_ms: 60_000, pass: true });
      expect(result.report.slo.server_event_loop_p99_ms).toMatchObject({ threshold_ms: 60_000, observed_ms: expect.any(Number), pass: true });
      expect(result.report.slo.server_memory_growth).toMatchObject({ threshold_percent: 1_000, window_s: 6, observed_percent: expect.any(Number), pass: true });
      expect(result.report.players.ramp_ended_s).toEqual(expect.any(Number));
      expect(result.report.verdict.pass).toBe(false);
      expect(result.exitCode).toBe(1);
      expect(result.table).toMatch(/VERDICT: FAIL — action p99 .* > 0.001 ms; broadcast p99 .* ≤ 60000 ms/);
    });

    it("writes the JSON report with the documented fields and the SVG chart", async () => {
      const written = JSON.parse(await readFile(reportPath(), "utf8"));
      expect(Object.keys(written).sort()).toEqual(
        [
          "tool", "report_version", "started_at", "ended_at", "duration_s", "target", "options", "clock", "accounts", "players",
          "connections", "measures", "results", "counters", "throughput", "traffic", "generator", "server", "windows", "slo", "ceiling", "verdict",
        ].sort(),
      );
      expect(written.tool).toBe("vlw-loadtest");
      expect(written.ceiling).toBeNull();
      expect(written.windows.at(-1).players).toBe(20);
      expect(written.duration_s).toBeGreaterThanOrEqual(14.9);
      expect(written.windows.length).toBeGreaterThanOrEqual(3);
      expect(Object.keys(written.windows[0]).sort()).toEqual(
        [
          "t_s", "players", "actions_per_s", "errors", "action_p99_ms", "broadcast_p99_ms", "server_event_loop_p99_ms", "connections_failed",
          "ws_frames_in_per_s", "ws_frames_out_per_s", "ws_bytes_in_per_s", "ws_bytes_out_per_s", "joins",
          "generator_cpu_percent", "generator_loop_lag_p99_ms", "generator_heap_bytes", "generator_saturated",
        ].sort(),
      );
      expect(written.measures["action.buy"]).toEqual({
        count: expect.any(Number), mean: expect.any(Number), min: expect.any(Number),
        p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number), max: expect.any(Number),
      });
      const svg = await readFile(chartPath(), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toContain("latency p99 (ms)");
      expect(svg).toContain("<polyline");
      expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    });
  });

  describe("a ceiling search with a threshold no window can meet", () => {
    let result: LoadTestResult;

    beforeAll(async () => {
      result = await mixedRun("lc", {
        durationS: 20,
        rampPerS: 10,
        seed: 11,
        findCeiling: true,
        ceilingWindowS: 5,
        // Impossible on purpose: the first window after the grace that has an action breaks it.
        sloActionP99Ms: 0.001,
        sloBroadcastP99Ms: 60_000,
      });
    }, 60_000);

    it("stops before the duration is over, names the action p99 as what broke first, and exits 1", () => {
      const { ceiling, duration_s: durationS } = result.report;
      expect(ceiling).toMatchObject({ outcome: "broken", pass: false, window_s: 5, thresholds: { action_p99_ms: 0.001, broadcast_p99_ms: 60_000 } });
      expect(ceiling!.broke!.thresholds).toEqual([{ threshold: "action_p99_ms", observed: expect.any(Number), limit: 0.001 }]);
      expect(ceiling!.broke!.thresholds[0]!.observed).toBeGreaterThan(0.001);
      expect(ceiling!.broke!.players).toBeGreaterThan(0);
      expect(typeof ceiling!.broke!.generator_saturated).toBe("boolean");
      expect(durationS).toBeLessThan(20);
      expect(result.report.slo.action_p99_ms).toBeNull(); // judged per window instead
      expect(result.exitCode).toBe(1);
      expect(result.report.verdict.line).toMatch(/^VERDICT: FAIL — ceiling .*\(action p99 .* > 0.001 ms at \d+ players/);
      expect(result.table).toMatch(/^ceiling .*action p99 .*: 5-s windows.*the first that broke one ended at/m);
    });
  });
});
