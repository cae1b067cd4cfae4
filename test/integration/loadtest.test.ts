import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoadTest, TargetRefusedError, type LoadTestResult } from "../../loadtest/run.js";
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
    const reportPath = () => path.join(workDir, "report.json");
    const chartPath = () => path.join(workDir, "chart.svg");

    beforeAll(async () => {
      result = await runLoadTest({
        url: server.baseUrl,
        clients: 20,
        durationS: 15,
        rampPerS: 20,
        scenario: "mixed",
        seed: 7,
        thinkMs: 400,
        accounts: { kind: "register", prefix: "lt", password: "load-test-password", adminToken, balanceBdt: 500_000 },
        reportPath: reportPath(),
        chartPath: chartPath(),
        // Impossible on purpose: the verdict must fail (exit code 1).
        sloActionP99Ms: 0.001,
        sloBroadcastP99Ms: 60_000,
        metricsIntervalS: 2,
        progress: false,
        log: () => {},
      });
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

    it("records broadcast latencies of land changes at the other players of the chunk", () => {
      const broadcast = result.report.measures["broadcast.land"];
      expect(broadcast?.count).toBeGreaterThan(0);
      // Same machine: no clock offset, so a latency is never much below zero and well under the run's length.
      expect(broadcast!.min).toBeGreaterThan(-5);
      expect(broadcast!.max).toBeLessThan(15_000);
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

    it("fails the verdict on an impossible SLO and passes the reachable one", () => {
      expect(result.report.slo.action_p99_ms).toMatchObject({ threshold_ms: 0.001, pass: false });
      expect(result.report.slo.broadcast_p99_ms).toMatchObject({ threshold_ms: 60_000, pass: true });
      expect(result.report.verdict.pass).toBe(false);
      expect(result.exitCode).toBe(1);
      expect(result.table).toMatch(/VERDICT: FAIL — action p99 .* > 0.001 ms; broadcast p99 .* ≤ 60000 ms/);
    });

    it("writes the JSON report with the documented fields and the SVG chart", async () => {
      const written = JSON.parse(await readFile(reportPath(), "utf8"));
      expect(Object.keys(written).sort()).toEqual(
        [
          "tool", "report_version", "started_at", "ended_at", "duration_s", "target", "options", "clock", "accounts", "players",
          "connections", "measures", "results", "counters", "throughput", "traffic", "generator", "server", "windows", "slo", "verdict",
        ].sort(),
      );
      expect(written.tool).toBe("vlw-loadtest");
      expect(written.duration_s).toBeGreaterThanOrEqual(14.9);
      expect(written.windows.length).toBeGreaterThanOrEqual(3);
      expect(Object.keys(written.windows[0]).sort()).toEqual(
        [
          "t_s", "actions_per_s", "errors", "action_p99_ms", "broadcast_p99_ms", "ws_frames_in_per_s", "ws_frames_out_per_s",
          "ws_bytes_in_per_s", "ws_bytes_out_per_s", "joins", "generator_cpu_percent", "generator_loop_lag_p99_ms", "generator_heap_bytes",
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
});
