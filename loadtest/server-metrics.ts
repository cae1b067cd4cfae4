/**
 * The server's own view of the load: CPU, memory, event-loop lag and
 * connected clients, read from `GET /metrics` (Prometheus text) of each
 * server process every few seconds.
 */

/** The series the load tester reads; every server process exports them (prom-client defaults plus `vlw_clients`). */
export const SERVER_SERIES = {
  cpuSeconds: "vlw_process_cpu_seconds_total",
  residentBytes: "vlw_process_resident_memory_bytes",
  eventLoopLagP99Seconds: "vlw_nodejs_eventloop_lag_p99_seconds",
  clients: "vlw_clients",
} as const;

/** prom-client's default event-loop sampling interval (`eventLoopMonitoringPrecision`). */
export const PROM_CLIENT_LOOP_RESOLUTION_MS = 10;

/**
 * Sums of the named series in a Prometheus text exposition (every label set
 * of a name added together); names absent from the text are absent from the
 * result. Pure.
 */
export function parsePrometheusSums(text: string, names: readonly string[]): Map<string, number> {
  const wanted = new Set(names);
  const sums = new Map<string, number>();
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || !wanted.has(match[1]!)) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + value);
  }
  return sums;
}

export interface ServerSample {
  /** Seconds since the load started. */
  t_s: number;
  url: string;
  /** CPU over the interval since the previous sample of this URL, percent of one core; null on the first. */
  cpu_percent: number | null;
  rss_bytes: number | null;
  event_loop_lag_p99_ms: number | null;
  /** Clients in rooms of this process (all room types). */
  clients: number | null;
}

/** Polls each metrics URL every `intervalMs` until stopped. */
export class ServerMetricsSampler {
  readonly samples: ServerSample[] = [];
  readonly errors = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly previous = new Map<string, { atMs: number; cpuSeconds: number }>();

  constructor(
    private readonly urls: readonly string[],
    private readonly intervalMs: number,
    private readonly startedAtMs: number,
    private readonly timeoutMs = 3_000,
  ) {}

  start(): void {
    void this.sampleAll();
    this.timer = setInterval(() => void this.sampleAll(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampleAll();
  }

  private async sampleAll(): Promise<void> {
    await Promise.all(this.urls.map((url) => this.sample(url)));
  }

  private async sample(url: string): Promise<void> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      const atMs = Date.now();
      const sums = parsePrometheusSums(text, Object.values(SERVER_SERIES));
      const cpuSeconds = sums.get(SERVER_SERIES.cpuSeconds);
      const before = this.previous.get(url);
      let cpuPercent: number | null = null;
      if (cpuSeconds !== undefined) {
        if (before && atMs > before.atMs) cpuPercent = (100 * (cpuSeconds - before.cpuSeconds) * 1000) / (atMs - before.atMs);
        this.previous.set(url, { atMs, cpuSeconds });
      }
      const lag = sums.get(SERVER_SERIES.eventLoopLagP99Seconds);
      this.samples.push({
        t_s: (atMs - this.startedAtMs) / 1000,
        url,
        cpu_percent: cpuPercent,
        rss_bytes: sums.get(SERVER_SERIES.residentBytes) ?? null,
        // prom-client samples the loop every 10 ms and reports the time between samples: take the interval off.
        event_loop_lag_p99_ms: lag === undefined ? null : Math.max(0, lag * 1000 - PROM_CLIENT_LOOP_RESOLUTION_MS),
        clients: sums.get(SERVER_SERIES.clients) ?? null,
      });
    } catch (error) {
      const reason = `${url}: ${(error as Error).message}`;
      this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
    }
  }
}
