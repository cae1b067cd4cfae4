/**
 * Benchmark: chunk generation against a bare loop making the same number of
 * `open-simplex-noise` calls, i.e. how close generation gets to the cost of
 * its noise alone (target ratio ≥ 0.8).
 *
 * Both sides generate the same chunks, alternate in several rounds after a
 * warm-up (so JIT state and machine load affect them alike), and the median
 * round of each is reported.
 *
 * Run alone: `npx tsx bench/chunk-generation.ts [chunks]`.
 */
import { pathToFileURL } from "node:url";
import { DEFAULT_WORLD_CONFIG, chunkCountX, chunkCountY, generateChunk } from "../src/domain/world/index.js";
import { createFractalNoiseField, type FractalNoiseField } from "../src/domain/world/noise-field.js";
import { deriveNoiseSeed, ELEVATION_SEED_SALT, MOISTURE_SEED_SALT } from "../src/domain/world/seed-derivation.js";
import { MAX_MOISTURE_OCTAVES } from "../src/domain/world/terrain-fields.js";
import { centroidX, centroidY } from "../src/domain/world/world-lattice.js";

export interface ChunkGenerationBenchResult {
  chunksPerSecond: number;
  bareLoopChunksPerSecond: number;
  /** chunksPerSecond / bareLoopChunksPerSecond. */
  ratio: number;
  noiseCallsPerChunk: number;
}

const ROUNDS = 5;
const DEFAULT_CHUNKS = 200;

export async function benchChunkGeneration(opts: { chunks?: number } = {}): Promise<ChunkGenerationBenchResult> {
  const chunks = opts.chunks ?? DEFAULT_CHUNKS;
  const config = DEFAULT_WORLD_CONFIG;
  const columns = chunkCountX(config);
  const chunkCount = columns * chunkCountY(config);
  const size = config.chunkSize;

  // The bare loop makes exactly the generator's noise calls – same two seeded
  // noise functions, same points (land centroids × octave frequency + octave
  // offset) – with nothing around them but a running sum. The ratio therefore
  // measures what generation adds to its noise (elevation mapping,
  // classification, colours, arrays), not differences in where the noise is
  // sampled (OpenSimplex is slower at high frequencies, where successive calls
  // land in different lattice cells).
  const elevationField = createFractalNoiseField(deriveNoiseSeed(config.worldSeed, ELEVATION_SEED_SALT), config.noise);
  const moistureField = createFractalNoiseField(deriveNoiseSeed(config.worldSeed, MOISTURE_SEED_SALT), {
    ...config.noise,
    octaves: Math.min(config.noise.octaves, MAX_MOISTURE_OCTAVES),
  });
  const noiseCallsPerChunk = size * size * (elevationField.octaves + moistureField.octaves);
  let sink = 0;

  const runGenerator = (): number => {
    const start = performance.now();
    for (let n = 0; n < chunks; n++) {
      const index = n % chunkCount;
      const chunk = generateChunk(config, index % columns, Math.floor(index / columns));
      sink += chunk.biome[0] ?? 0;
    }
    return performance.now() - start;
  };
  const runBareLoop = (): number => {
    const start = performance.now();
    for (let n = 0; n < chunks; n++) {
      const index = n % chunkCount;
      const x0 = (index % columns) * size;
      const y0 = Math.floor(index / columns) * size;
      let sum = 0;
      sum += bareNoiseCalls(elevationField, x0, y0, size);
      sum += bareNoiseCalls(moistureField, x0, y0, size);
      sink += sum;
    }
    return performance.now() - start;
  };

  // Warm-up: builds the config's cached model and lets both loops get optimised.
  runGenerator();
  runBareLoop();

  const generatorMs: number[] = [];
  const bareLoopMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    generatorMs.push(runGenerator());
    bareLoopMs.push(runBareLoop());
    await new Promise((resolve) => setImmediate(resolve)); // let the event loop breathe between rounds
  }
  if (Number.isNaN(sink)) throw new Error("unreachable: keeps the loops' results alive");

  const chunksPerSecond = (chunks * 1000) / median(generatorMs);
  const bareLoopChunksPerSecond = (chunks * 1000) / median(bareLoopMs);
  return {
    chunksPerSecond,
    bareLoopChunksPerSecond,
    ratio: chunksPerSecond / bareLoopChunksPerSecond,
    noiseCallsPerChunk,
  };
}

/** The field's noise calls for a size × size chunk at (x0, y0), summed without weights. */
function bareNoiseCalls(field: FractalNoiseField, x0: number, y0: number, size: number): number {
  const { noise, octaves, frequencies, offsetsX, offsetsY } = field;
  let sum = 0;
  for (let y = y0; y < y0 + size; y++) {
    for (let x = x0; x < x0 + size; x++) {
      const px = centroidX(x);
      const py = centroidY(x, y);
      for (let o = 0; o < octaves; o++) {
        const f = frequencies[o] as number;
        sum += noise(px * f + (offsetsX[o] as number), py * f + (offsetsY[o] as number));
      }
    }
  }
  return sum;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const chunksArg = process.argv[2];
  const result = await benchChunkGeneration(chunksArg === undefined ? {} : { chunks: Number(chunksArg) });
  console.table({
    "chunk generator": { "chunks/s": Math.round(result.chunksPerSecond) },
    "bare noise loop": { "chunks/s": Math.round(result.bareLoopChunksPerSecond) },
  });
  console.log(`ratio ${result.ratio.toFixed(3)} (target ≥ 0.8), ${result.noiseCallsPerChunk} noise calls per chunk`);
  console.log(JSON.stringify({ bench: "chunk_generation", ...result }));
}
