/**
 * Benchmark: cached `GET /world/chunks/:cx/:cy` against a bare `node:http`
 * server answering a pre-serialised body of the same size, driven by the same
 * client loop in the same run – so the ratio shows what the server adds
 * (express, routing, metrics, the config and cache look-ups) on top of HTTP
 * itself, whatever the machine.
 *
 * The chunks are requested once first (generated and cached); then
 * `concurrency` keep-alive loops (the global fetch, i.e. undici, which keeps
 * connections alive) share `requests` requests spread over 16 chunks. The two
 * targets alternate over several rounds after a warm-up, and the median round
 * of each is reported. It is not a test: `npm run bench` prints it.
 *
 * Run alone against a running server: `npx tsx bench/chunk-http.ts http://127.0.0.1:2567 [requests] [concurrency]`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";

export interface ChunkHttpBenchResult {
  /** Cached chunk requests per second (median round). */
  requestsPerSecond: number;
  /** Latency percentiles of the chunk requests over every measured round. */
  p50Ms: number;
  p99Ms: number;
  /** The bare node:http server with the same body and the same client loop. */
  baselineRequestsPerSecond: number;
  /** requestsPerSecond / baselineRequestsPerSecond. */
  ratio: number;
}

const ROUNDS = 3;
const CHUNKS_SPREAD = 16;

export async function benchChunkHttp(
  baseUrl: string,
  opts: { requests?: number; concurrency?: number } = {},
): Promise<ChunkHttpBenchResult> {
  const requests = opts.requests ?? 20_000;
  const concurrency = opts.concurrency ?? 32;
  const base = baseUrl.replace(/\/$/, "");

  const world = (await (await fetch(`${base}/world`)).json()) as { world_width: number; world_height: number; chunk_size: number };
  const columns = Math.ceil(world.world_width / world.chunk_size);
  const rows = Math.ceil(world.world_height / world.chunk_size);
  const side = Math.ceil(Math.sqrt(CHUNKS_SPREAD));
  const chunkUrls: string[] = [];
  for (let i = 0; i < CHUNKS_SPREAD; i++) {
    chunkUrls.push(`${base}/world/chunks/${(i % side) % columns}/${Math.floor(i / side) % rows}`);
  }

  // Warm the cache, and keep the largest body for the baseline.
  let sample = Buffer.alloc(0);
  for (const url of chunkUrls) {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > sample.length) sample = body;
  }

  const baseline = await startBaselineServer(sample);
  try {
    const baselineUrls = chunkUrls.map((_, i) => `${baseline.url}/world/chunks/${i}`);
    const warmUp = Math.min(requests, 2_000);
    await runLoad(chunkUrls, warmUp, concurrency);
    await runLoad(baselineUrls, warmUp, concurrency);

    const chunkRounds: number[] = [];
    const baselineRounds: number[] = [];
    const latencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const chunkRun = await runLoad(chunkUrls, requests, concurrency);
      chunkRounds.push(chunkRun.requestsPerSecond);
      latencies.push(...chunkRun.latenciesMs);
      baselineRounds.push((await runLoad(baselineUrls, requests, concurrency)).requestsPerSecond);
    }
    latencies.sort((a, b) => a - b);
    const requestsPerSecond = median(chunkRounds);
    const baselineRequestsPerSecond = median(baselineRounds);
    return {
      requestsPerSecond,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      baselineRequestsPerSecond,
      ratio: requestsPerSecond / baselineRequestsPerSecond,
    };
  } finally {
    await baseline.close();
  }
}

/** `concurrency` loops, each sending its next request when the previous answer is read in full. */
async function runLoad(
  urls: readonly string[],
  requests: number,
  concurrency: number,
): Promise<{ requestsPerSecond: number; latenciesMs: number[] }> {
  const latenciesMs = new Array<number>(requests);
  let next = 0;
  const loop = async () => {
    for (let n = next++; n < requests; n = next++) {
      const started = performance.now();
      const response = await fetch(urls[n % urls.length] as string);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${urls[n % urls.length]} answered ${response.status}`);
      latenciesMs[n] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = performance.now() - started;
  return { requestsPerSecond: (requests * 1000) / elapsedMs, latenciesMs };
}

/** The least a server can do: one pre-serialised body, the same headers a chunk carries. */
async function startBaselineServer(body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": body.length,
      ETag: '"baseline"',
      "Cache-Control": "public, max-age=60",
    });
    response.end(body);
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [baseUrl = "http://127.0.0.1:2567", requests, concurrency] = process.argv.slice(2);
  const result = await benchChunkHttp(baseUrl, {
    ...(requests === undefined ? {} : { requests: Number(requests) }),
    ...(concurrency === undefined ? {} : { concurrency: Number(concurrency) }),
  });
  console.table({
    "GET /world/chunks (cached)": {
      "req/s": Math.round(result.requestsPerSecond),
      "p50 ms": result.p50Ms.toFixed(2),
      "p99 ms": result.p99Ms.toFixed(2),
    },
    "bare node:http, same body": { "req/s": Math.round(result.baselineRequestsPerSecond) },
  });
  console.log(`ratio ${result.ratio.toFixed(3)}`);
  console.log(JSON.stringify({ bench: "chunk_http", ...result }));
}
