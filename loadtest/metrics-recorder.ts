/**
 * Everything the load tester measures, in one place: latencies per measure,
 * results per action and error code, connections, traffic, and the
 * generator's own health (event-loop lag, CPU), overall and per 5-second
 * window (for the chart and the ceiling search), and when each player started.
 */
import { monitorEventLoopDelay, type ELDHistogram } from "node:perf_hooks";
import type { TrafficCounter } from "./counting-client.js";
import { SampleSet, type Summary } from "./percentiles.js";

export const WINDOW_MS = 5_000;

/**
 * Sampling interval of the event-loop monitors. Node's histogram records the
 * time between two samples, so an idle loop reads this much; it is taken off
 * to report the lag itself.
 */
export const LOOP_RESOLUTION_MS = 10;

/** The rooms a simulated player connects to. */
export type RoomKind = "chunk" | "land_chat";

/** A result that is not one of the contract's error codes. */
export const PseudoCode = {
  OK: "ok",
  /** No `result` within the action timeout. */
  TIMEOUT: "timeout",
  /** The room's connection closed before the `result` came. */
  CONNECTION_CLOSED: "connection_closed",
} as const;

export interface ConnectionCounts {
  attempted: number;
  made: number;
  /** Joins that failed for a reason other than an answer of the contract (network, 5xx, timeout, …). */
  failed: number;
  /** Joins the server refused with a business answer (WRONG_PASSCODE, LOCKED_OUT, NOT_FOUND): not failures. */
  refused: number;
  /** Connections the server closed while the player was in the room. */
  dropped: number;
}

export interface WindowStats {
  index: number;
  actions: number;
  errors: number;
  actionLatency: SampleSet;
  landBroadcastLatency: SampleSet;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  joins: number;
  /** Joins that failed in this window (see ConnectionCounts.failed). */
  connectionsFailed: number;
  generatorCpuPercent: number | null;
  generatorLoopLagP99Ms: number | null;
  generatorHeapBytes: number | null;
}

const WINDOW_SAMPLE_CAPACITY = 20_000;

/** The `index`-th 5-second window, before anything happened in it. */
export function emptyWindow(index: number): WindowStats {
  return {
    index,
    actions: 0,
    errors: 0,
    actionLatency: new SampleSet(WINDOW_SAMPLE_CAPACITY),
    landBroadcastLatency: new SampleSet(WINDOW_SAMPLE_CAPACITY),
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    joins: 0,
    connectionsFailed: 0,
    generatorCpuPercent: null,
    generatorLoopLagP99Ms: null,
    generatorHeapBytes: null,
  };
}

export class MetricsRecorder implements TrafficCounter {
  readonly measures = new Map<string, SampleSet>();
  /** results[type][code] = count, code "ok" for successes. */
  readonly results = new Map<string, Map<string, number>>();
  readonly counters = new Map<string, number>();
  readonly connections: Record<RoomKind, ConnectionCounts> = {
    chunk: { attempted: 0, made: 0, failed: 0, refused: 0, dropped: 0 },
    land_chat: { attempted: 0, made: 0, failed: 0, refused: 0, dropped: 0 },
  };
  readonly connectionFailures = new Map<string, number>();
  readonly traffic = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, httpRequests: 0, httpBytesIn: 0 };
  readonly windows: WindowStats[] = [];
  /** Seconds from the start at which each player was started, ascending. */
  readonly playerStartsS: number[] = [];
  /** Called when the timer closes a window (with its index), after the window's generator figures are stored. */
  onWindowClosed: ((index: number) => void) | undefined;
  startedAtMs = Date.now();
  endedAtMs: number | undefined;

  private readonly loopDelay: ELDHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private readonly windowLoopDelay: ELDHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private cpuAtStart = process.cpuUsage();
  private cpuAtWindow = process.cpuUsage();
  private windowStartedAtMs = Date.now();
  private windowTimer: NodeJS.Timeout | undefined;
  private generatorWindows = 0;
  private lastWindowIndex = Number.MAX_SAFE_INTEGER;
  /** Largest V8 heap and resident set of the generator seen at a window's end. */
  generatorHeapMaxBytes = 0;
  generatorRssMaxBytes = 0;
  private actionsTotal = 0;
  private errorsTotal = 0;

  /**
   * Starts the clock, the windows and the generator's own monitors. With the
   * planned duration, whatever happens in the moments between its end and
   * `stop` counts in the last window instead of making a sliver of one.
   */
  start(nowMs = Date.now(), plannedDurationMs?: number): void {
    this.startedAtMs = nowMs;
    if (plannedDurationMs !== undefined) this.lastWindowIndex = Math.max(0, Math.ceil(plannedDurationMs / WINDOW_MS) - 1);
    this.windowStartedAtMs = nowMs;
    this.cpuAtStart = process.cpuUsage();
    this.cpuAtWindow = this.cpuAtStart;
    this.loopDelay.enable();
    this.windowLoopDelay.enable();
    this.windowTimer = setInterval(() => {
      const closed = this.closeGeneratorWindow();
      if (closed !== undefined) this.onWindowClosed?.(closed);
    }, WINDOW_MS);
    this.windowTimer.unref();
  }

  stop(nowMs = Date.now()): void {
    if (this.endedAtMs !== undefined) return;
    this.endedAtMs = nowMs;
    clearInterval(this.windowTimer);
    this.closeGeneratorWindow();
    this.loopDelay.disable();
    this.windowLoopDelay.disable();
  }

  get elapsedMs(): number {
    return (this.endedAtMs ?? Date.now()) - this.startedAtMs;
  }

  /** Adds a latency sample (milliseconds) to a named measure. */
  measure(name: string, valueMs: number): void {
    let set = this.measures.get(name);
    if (!set) {
      set = new SampleSet();
      this.measures.set(name, set);
    }
    set.add(valueMs);
  }

  /** Counts an outcome of a message type (`ok`, an error code, or a pseudo-code). */
  result(type: string, code: string): void {
    let byCode = this.results.get(type);
    if (!byCode) {
      byCode = new Map();
      this.results.set(type, byCode);
    }
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }

  /** A room action answered (or not) `latencyMs` after it was sent. */
  action(type: string, code: string, latencyMs: number | null): void {
    this.result(type, code);
    this.actionsTotal++;
    const window = this.currentWindow();
    window.actions++;
    if (code !== PseudoCode.OK) {
      this.errorsTotal++;
      window.errors++;
    }
    if (latencyMs !== null) {
      this.measure(`action.${type}`, latencyMs);
      this.measure("action.all", latencyMs);
      window.actionLatency.add(latencyMs);
    }
  }

  /** A land change arrived at a watching client `latencyMs` after its commit. */
  landBroadcast(latencyMs: number): void {
    this.measure("broadcast.land", latencyMs);
    this.currentWindow().landBroadcastLatency.add(latencyMs);
  }

  /** A chat message arrived at another member `latencyMs` after the server accepted it. */
  chatBroadcast(latencyMs: number): void {
    this.measure("broadcast.chat", latencyMs);
  }

  playerStarted(nowMs = Date.now()): void {
    this.playerStartsS.push((nowMs - this.startedAtMs) / 1000);
  }

  joinAttempted(room: RoomKind): void {
    this.connections[room].attempted++;
  }

  joinSucceeded(room: RoomKind, latencyMs: number): void {
    this.connections[room].made++;
    this.measure(`join.${room}`, latencyMs);
    this.currentWindow().joins++;
  }

  joinFailed(room: RoomKind, reason: string, refused: boolean): void {
    if (refused) {
      this.connections[room].refused++;
      this.result(`join.${room}`, reason);
      return;
    }
    this.connections[room].failed++;
    this.currentWindow().connectionsFailed++;
    const key = `${room}: ${reason}`.slice(0, 200);
    this.connectionFailures.set(key, (this.connectionFailures.get(key) ?? 0) + 1);
  }

  dropped(room: RoomKind, code: number): void {
    this.connections[room].dropped++;
    this.count(`dropped.${room}.${code}`);
  }

  /** An HTTP request of the simulated client (terrain, login, /me). */
  http(name: string, latencyMs: number, status: number, bytesIn: number): void {
    this.traffic.httpRequests++;
    this.traffic.httpBytesIn += bytesIn;
    this.measure(`http.${name}`, latencyMs);
    this.result(`http.${name}`, String(status));
  }

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  // Frames after the end (leaving the rooms) are clean-up, not load: not counted.
  received(bytes: number): void {
    if (this.endedAtMs !== undefined) return;
    this.traffic.framesIn++;
    this.traffic.bytesIn += bytes;
    const window = this.currentWindow();
    window.framesIn++;
    window.bytesIn += bytes;
  }

  sent(bytes: number): void {
    if (this.endedAtMs !== undefined) return;
    this.traffic.framesOut++;
    this.traffic.bytesOut += bytes;
    const window = this.currentWindow();
    window.framesOut++;
    window.bytesOut += bytes;
  }

  /** Totals for the progress bar. */
  live() {
    const last = this.windows.at(-1);
    return {
      actions: this.actionsTotal,
      errors: this.errorsTotal,
      windowActionP99Ms: last?.actionLatency.percentile(99),
      connectionsFailed: this.connections.chunk.failed + this.connections.land_chat.failed,
    };
  }

  summary(name: string): Summary | undefined {
    return this.measures.get(name)?.summary();
  }

  /** The generator's CPU over the whole run, percent of one core. */
  generatorCpuPercent(): number {
    const used = process.cpuUsage(this.cpuAtStart);
    const wallMs = Math.max(1, this.elapsedMs);
    return ((used.user + used.system) / 1000 / wallMs) * 100;
  }

  /** The generator's event-loop delay over the whole run, in milliseconds. */
  generatorLoopLag(): { p50: number; p99: number; max: number } {
    const toMs = (nanos: number) => lagMs(nanos);
    if (this.loopDelay.count === 0) return { p50: 0, p99: 0, max: 0 };
    return { p50: toMs(this.loopDelay.percentile(50)), p99: toMs(this.loopDelay.percentile(99)), max: toMs(this.loopDelay.max) };
  }

  private currentWindow(now = Date.now()): WindowStats {
    // After the run ends (leaving rooms), traffic still counts in the totals but lands in the last window.
    const nowMs = this.endedAtMs === undefined ? now : Math.min(now, this.endedAtMs - 1);
    return this.windowAt(Math.min(this.lastWindowIndex, Math.max(0, Math.floor((nowMs - this.startedAtMs) / WINDOW_MS))));
  }

  private windowAt(index: number): WindowStats {
    while (this.windows.length <= index) this.windows.push(emptyWindow(this.windows.length));
    return this.windows[index]!;
  }

  /**
   * Stores the generator's CPU and loop lag of the window that just ended
   * (the timer's n-th tick closes window n; a last partial window shorter
   * than a second is left without, too short to say anything). Returns the
   * index of the window it closed, if any.
   */
  private closeGeneratorWindow(nowMs = Date.now()): number | undefined {
    const wallMs = nowMs - this.windowStartedAtMs;
    const closing = wallMs >= 1_000 && this.generatorWindows <= this.lastWindowIndex ? this.generatorWindows : undefined;
    if (closing !== undefined) {
      const window = this.windowAt(closing);
      const used = process.cpuUsage(this.cpuAtWindow);
      window.generatorCpuPercent = ((used.user + used.system) / 1000 / wallMs) * 100;
      window.generatorLoopLagP99Ms = this.windowLoopDelay.count > 0 ? lagMs(this.windowLoopDelay.percentile(99)) : null;
    }
    const memory = process.memoryUsage();
    this.generatorHeapMaxBytes = Math.max(this.generatorHeapMaxBytes, memory.heapUsed);
    this.generatorRssMaxBytes = Math.max(this.generatorRssMaxBytes, memory.rss);
    if (closing !== undefined) this.windowAt(closing).generatorHeapBytes = memory.heapUsed;
    this.generatorWindows++;
    this.windowLoopDelay.reset();
    this.cpuAtWindow = process.cpuUsage();
    this.windowStartedAtMs = nowMs;
    return closing;
  }
}

/** A histogram value (ns between samples) as lag in milliseconds. */
function lagMs(nanos: number): number {
  return Math.max(0, nanos / 1e6 - LOOP_RESOLUTION_MS);
}
