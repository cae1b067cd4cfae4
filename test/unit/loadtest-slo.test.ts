import { describe, expect, it } from "vitest";
import { RESULT_CODE_CLASSES, unexpectedReason } from "../../loadtest/result-codes.js";
import type { ServerSample } from "../../loadtest/server-metrics.js";
import { droppedByRoom, judgeFailedConnections, judgeMemoryGrowth, judgeServerEventLoop, judgeUnexpectedResults } from "../../loadtest/slo.js";

const MiB = 1024 * 1024;

const sample = (t_s: number, fields: Partial<ServerSample> = {}): ServerSample => ({
  t_s,
  url: "http://127.0.0.1:2567/metrics",
  cpu_percent: 20,
  rss_bytes: 300 * MiB,
  event_loop_lag_p99_ms: 5,
  clients: 100,
  ...fields,
});

/** A sample every 5 s from `fromS` to `toS`, RSS given by `rss(t)`. */
const rssSeries = (fromS: number, toS: number, rss: (t: number) => number, url?: string): ServerSample[] =>
  Array.from({ length: Math.floor((toS - fromS) / 5) + 1 }, (_, i) => fromS + 5 * i).map((t) => sample(t, { rss_bytes: rss(t), ...(url ? { url } : {}) }));

describe("the server's event-loop lag after warm-up", () => {
  it("ignores the ramp and the first sample after it, whose interval still covers the ramp's end", () => {
    // Ramp ends at 12 s. The sample at 15 s summarises 10–15 s: not judged. From 20 s on, judged.
    const samples = [sample(5, { event_loop_lag_p99_ms: 400 }), sample(10, { event_loop_lag_p99_ms: 300 }), sample(15, { event_loop_lag_p99_ms: 200 }), sample(20, { event_loop_lag_p99_ms: 18 }), sample(25, { event_loop_lag_p99_ms: 21 })];
    expect(judgeServerEventLoop(samples, 25, 12)).toEqual({ threshold_ms: 25, observed_ms: 21, pass: true });
  });

  it("fails when any judged sample of any server exceeds the threshold", () => {
    const other = "http://127.0.0.1:2568/metrics";
    const samples = [sample(0), sample(5), sample(10), sample(0, { url: other }), sample(5, { url: other }), sample(10, { url: other, event_loop_lag_p99_ms: 31 })];
    expect(judgeServerEventLoop(samples, 25, 0)).toMatchObject({ observed_ms: 31, pass: false });
  });

  it("fails, saying why, when no sample lies after the ramp", () => {
    expect(judgeServerEventLoop([sample(5), sample(10)], 25, null)).toMatchObject({ observed_ms: null, pass: false, note: expect.stringMatching(/ramp did not finish/) });
    expect(judgeServerEventLoop([sample(5), sample(10)], 25, 8)).toMatchObject({ observed_ms: null, pass: false, note: expect.any(String) });
  });
});

describe("the server's memory growth over the end of the run", () => {
  const judgement = { thresholdPercent: 10, windowS: 180, rampEndedS: 100, durationS: 300 };

  it("compares the mean RSS of the window's first and last 30 s, so a garbage-collection sawtooth reads as flat", () => {
    // A sawtooth from 300 to 400 MiB every 30 s: trough to peak is +33 %, yet the heap does not grow.
    const sawtooth = (t: number) => (300 + ((t % 30) / 25) * 100) * MiB;
    const check = judgeMemoryGrowth(rssSeries(0, 300, sawtooth), judgement);
    expect(check.edge_s).toBe(30);
    expect(check.pass).toBe(true);
    expect(Math.abs(check.observed_percent!)).toBeLessThan(10);
  });

  it("fails on a steady leak, with the means it compared per server", () => {
    // +0.5 MiB per second from 300 MiB at 120 s: the last 30 s average ~75 MiB above the first 30 s.
    const leak = (t: number) => (300 + Math.max(0, t - 120) * 0.5) * MiB;
    const check = judgeMemoryGrowth(rssSeries(0, 300, leak), judgement);
    expect(check.pass).toBe(false);
    expect(check.observed_percent).toBeGreaterThan(10);
    const server = check.by_url["http://127.0.0.1:2567/metrics"]!;
    expect(server.end_mean_bytes! - server.start_mean_bytes!).toBeGreaterThan(60 * MiB);
  });

  it("judges every server and reports the largest growth", () => {
    const flat = rssSeries(0, 300, () => 300 * MiB, "http://a/metrics");
    const growing = rssSeries(0, 300, (t) => (t < 250 ? 300 : 360) * MiB, "http://b/metrics");
    const check = judgeMemoryGrowth([...flat, ...growing], judgement);
    expect(check.by_url["http://a/metrics"]!.growth_percent).toBe(0);
    expect(check.observed_percent).toBe(20);
    expect(check.pass).toBe(false);
  });

  it("fails with a sentence when the run is shorter than the ramp plus the window", () => {
    const check = judgeMemoryGrowth(rssSeries(0, 250, () => 300 * MiB), { ...judgement, durationS: 250 });
    expect(check.pass).toBe(false);
    expect(check.observed_percent).toBeNull();
    expect(check.note).toBe("the run (250 s) is shorter than the ramp (100 s) plus the memory window (180 s)");
  });

  it("fails when a server has no sample at the start or at the end of the window", () => {
    const check = judgeMemoryGrowth(rssSeries(0, 130, () => 300 * MiB), judgement);
    expect(check).toMatchObject({ pass: false, observed_percent: null, note: expect.stringMatching(/no RSS sample/) });
  });
});

describe("results that are not part of play", () => {
  it("counts the contract's business refusals as play", () => {
    for (const code of ["ALREADY_OWNED", "INSUFFICIENT_FUNDS", "BID_TOO_LOW", "NOT_OWNER", "LISTING_CLOSED", "NOT_FOR_SALE", "OWN_LISTING", "CONFLICT"]) {
      expect(unexpectedReason("buy", code), code).toBeNull();
    }
    expect(unexpectedReason("join.land_chat", "WRONG_PASSCODE")).toBeNull();
    expect(unexpectedReason("http.chunk_terrain", "304")).toBeNull();
  });

  it("counts server failures, rate limits, invalid input, timeouts, dropped connections and HTTP errors as unexpected, each with a reason", () => {
    for (const code of ["INTERNAL", "UNAVAILABLE", "RATE_LIMITED", "INVALID_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "timeout", "connection_closed", "SOMETHING_NEW"]) {
      expect(unexpectedReason("bid", code), code).toEqual(expect.any(String));
    }
    expect(unexpectedReason("http.me", "500")).toEqual(expect.any(String));
    expect(unexpectedReason("http.chunk_terrain", "error: fetch failed")).toEqual(expect.any(String));
    expect(unexpectedReason("player.loop_crashed", "x is undefined")).toEqual(expect.any(String));
  });

  it("classifies every code of the contract", () => {
    expect(Object.keys(RESULT_CODE_CLASSES)).toHaveLength(17 + 2);
  });

  it("leaves out account preparation, and fails the check on the first unexpected result", () => {
    const results = { buy: { ok: 40, ALREADY_OWNED: 3 }, bid: { ok: 10, BID_TOO_LOW: 2, timeout: 1 }, "http.login": { "200": 20, "429": 1 } };
    expect(judgeUnexpectedResults(results)).toEqual({ observed: 1, results: { bid: { timeout: 1 } }, dropped: {}, pass: false });
    expect(judgeUnexpectedResults({ buy: { ok: 5, INSUFFICIENT_FUNDS: 1 } })).toEqual({ observed: 0, results: {}, dropped: {}, pass: true });
  });

  it("fails the check on a connection the server dropped, even with every result expected", () => {
    const counters = new Map([["dropped.chunk.4429", 2], ["dropped.land_chat.1006", 1], ["chat.access_revoked", 3], ["chunk.drops_reconnecting", 4]]);
    const dropped = droppedByRoom(counters);
    expect(dropped).toEqual({ chunk: { "4429": 2 }, land_chat: { "1006": 1 } });
    expect(judgeUnexpectedResults({ buy: { ok: 5 } }, dropped)).toEqual({ observed: 3, results: {}, dropped, pass: false });
    expect(judgeUnexpectedResults({ buy: { ok: 5 } }, droppedByRoom(new Map([["chat.access_revoked", 3]])))).toMatchObject({ observed: 0, pass: true });
  });
});

describe("failed connections", () => {
  it("fails only when more connections failed than allowed", () => {
    expect(judgeFailedConnections(0, 0).pass).toBe(true);
    expect(judgeFailedConnections(2, 2).pass).toBe(true);
    expect(judgeFailedConnections(1, 0)).toEqual({ threshold: 0, observed: 1, pass: false });
  });
});
