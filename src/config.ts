/**
 * The one place that reads `process.env`. Every setting is parsed and checked
 * once, at start-up; a bad value stops the process with a sentence naming the
 * variable, and a secret left at its development default is refused in
 * production.
 */
import { z } from "zod";
import type { ChatMessage, ChunkMessage } from "./protocol/room-messages.js";

const DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789";
const DEV_PASSCODE_PEPPER = "dev-only-passcode-pepper-change-me-0123";

const booleanFromEnv = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const commaList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

/**
 * What each room message costs, in tokens of its room's per-user bucket
 * (`*_RATE_LIMIT_PER_SECOND` / `*_BURST`): a type alone is limited to
 * burst / cost at once and rate / cost sustained. Bids and chat lines are
 * the frequent, cheap ones; land changes and listings are rare and write more.
 * Malformed and unknown messages cost 1.
 */
export const DEFAULT_CHUNK_MESSAGE_COSTS: Readonly<Record<ChunkMessage, number>> = {
  bid: 1,
  buy: 2,
  buy_listing: 2,
  cancel_listing: 4,
  list: 4,
  fence: 4,
  set_message: 4,
};
export const DEFAULT_CHAT_MESSAGE_COSTS: Readonly<Record<ChatMessage, number>> = {
  msg: 1,
  delete: 2,
};

/**
 * `type=cost,type=cost`: overrides of some message types' costs; the types
 * not named keep their default. An unknown type or a cost that is not a whole
 * number from 1 to 1,000,000 is refused.
 */
function messageCosts<T extends string>(defaults: Readonly<Record<T, number>>) {
  const types = Object.keys(defaults);
  return z.string().transform((value, context) => {
    const costs: Record<string, number> = { ...defaults };
    for (const item of value.split(",").map((part) => part.trim()).filter((part) => part.length > 0)) {
      const match = /^([a-z_]+)\s*=\s*(\d{1,7})$/.exec(item);
      const cost = match ? Number(match[2]) : Number.NaN;
      if (!match || !types.includes(match[1]!) || !(cost >= 1 && cost <= 1_000_000)) {
        context.addIssue({ code: "custom", message: `"${item}" is not type=cost with a type among ${types.join(", ")} and a cost from 1 to 1000000` });
        return z.NEVER;
      }
      costs[match[1]!] = cost;
    }
    return costs as Record<T, number>;
  });
}

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65535).default(2567),
  PUBLIC_ADDRESS: z.string().min(1).optional(),
  DATABASE_URL: z.string().url().default("postgres://postgres@127.0.0.1:5432/virtual_land_world"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(8),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  REDIS_URL: z.string().url().default("redis://127.0.0.1:6379"),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default("vlw"),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").default(DEV_JWT_SECRET),
  JWT_ISSUER: z.string().min(1).default("virtual-land-world"),
  JWT_AUDIENCE: z.string().min(1).default("virtual-land-world-clients"),
  JWT_TTL_S: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(24 * 3600),
  PASSCODE_PEPPER: z.string().min(32, "must be at least 32 characters").default(DEV_PASSCODE_PEPPER),
  TRANSPORT: z.enum(["ws", "uws"]).default("ws"),
  WS_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(4096).max(1 << 20).default(64 * 1024),
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(1 << 20).default(16 * 1024),
  ALLOWED_ORIGINS: commaList.default([]),
  TRUST_PROXY: booleanFromEnv.default(false),
  RUN_WORKERS: booleanFromEnv.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(64),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(9_000),
  LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  REGISTER_RATE_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(30),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8 * 1024).default(19 * 1024),
  FAULT_SETTLEMENT_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  CHUNK_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(20),
  CHUNK_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(40),
  CHAT_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(1_000_000).default(10),
  CHAT_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1_000_000).default(20),
  CHUNK_RATE_LIMIT_COSTS: messageCosts(DEFAULT_CHUNK_MESSAGE_COSTS).default({ ...DEFAULT_CHUNK_MESSAGE_COSTS }),
  CHAT_RATE_LIMIT_COSTS: messageCosts(DEFAULT_CHAT_MESSAGE_COSTS).default({ ...DEFAULT_CHAT_MESSAGE_COSTS }),
});

export type Config = {
  env: "development" | "test" | "production";
  host: string;
  port: number;
  publicAddress: string | undefined;
  databaseUrl: string;
  databasePoolSize: number;
  databaseStatementTimeoutMs: number;
  redisUrl: string;
  queuePrefix: string;
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number };
  passcodePepper: string;
  transport: "ws" | "uws";
  wsMaxPayloadBytes: number;
  httpBodyLimitBytes: number;
  allowedOrigins: string[];
  trustProxy: boolean;
  runWorkers: boolean;
  workerConcurrency: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  shutdownTimeoutMs: number;
  rateLimits: { loginPerMinute: number; registerPerHour: number };
  argon2MemoryKib: number;
  /**
   * Test-only fault injection: settlements pause this long inside their
   * transaction, so a test can kill a worker in the middle of one. Ignored
   * unless NODE_ENV=test.
   */
  faultSettlementDelayMs: number;
  /**
   * Chunk-room messages per user (per connection when anonymous), every
   * process together: a token bucket from which each message takes its type's cost.
   */
  chunkRateLimit: { ratePerSecond: number; burst: number; costs: Record<ChunkMessage, number> };
  /** Land chat messages per user, every process together: a token bucket from which each message takes its type's cost. */
  chatRateLimit: { ratePerSecond: number; burst: number; costs: Record<ChatMessage, number> };
};

/** A setting that cannot be used; its message is one sentence for the operator. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses the environment into a {@link Config}.
 * @throws ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid setting${problems.length > 1 ? "s" : ""}: ${problems.join("; ")} (see .env.example).`);
  }
  const e = parsed.data;
  const unaffordable = [
    ...overBurst("CHUNK_RATE_LIMIT_COSTS", e.CHUNK_RATE_LIMIT_COSTS, "CHUNK_RATE_LIMIT_BURST", e.CHUNK_RATE_LIMIT_BURST),
    ...overBurst("CHAT_RATE_LIMIT_COSTS", e.CHAT_RATE_LIMIT_COSTS, "CHAT_RATE_LIMIT_BURST", e.CHAT_RATE_LIMIT_BURST),
  ];
  if (unaffordable.length > 0) throw new ConfigError(`Invalid settings: ${unaffordable.join("; ")} (see .env.example).`);
  if (e.NODE_ENV === "production") {
    const leftAtDefault = [
      e.JWT_SECRET === DEV_JWT_SECRET ? "JWT_SECRET" : undefined,
      e.PASSCODE_PEPPER === DEV_PASSCODE_PEPPER ? "PASSCODE_PEPPER" : undefined,
    ].filter((name): name is string => name !== undefined);
    if (leftAtDefault.length > 0) {
      throw new ConfigError(
        `${leftAtDefault.join(" and ")} still ${leftAtDefault.length > 1 ? "have their" : "has its"} development default; set a random secret of at least 32 characters before starting with NODE_ENV=production.`,
      );
    }
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicAddress: e.PUBLIC_ADDRESS,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    jwt: { secret: e.JWT_SECRET, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, ttlSeconds: e.JWT_TTL_S },
    passcodePepper: e.PASSCODE_PEPPER,
    transport: e.TRANSPORT,
    wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
    httpBodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
    allowedOrigins: e.ALLOWED_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    runWorkers: e.RUN_WORKERS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    rateLimits: { loginPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE, registerPerHour: e.REGISTER_RATE_LIMIT_PER_HOUR },
    argon2MemoryKib: e.ARGON2_MEMORY_KIB,
    faultSettlementDelayMs: e.NODE_ENV === "test" ? e.FAULT_SETTLEMENT_DELAY_MS : 0,
    chunkRateLimit: { ratePerSecond: e.CHUNK_RATE_LIMIT_PER_SECOND, burst: e.CHUNK_RATE_LIMIT_BURST, costs: e.CHUNK_RATE_LIMIT_COSTS },
    chatRateLimit: { ratePerSecond: e.CHAT_RATE_LIMIT_PER_SECOND, burst: e.CHAT_RATE_LIMIT_BURST, costs: e.CHAT_RATE_LIMIT_COSTS },
  };
}

/** A message type that costs more than the whole burst could never be sent: refused at start-up. */
function overBurst(costsName: string, costs: Record<string, number>, burstName: string, burst: number): string[] {
  return Object.entries(costs)
    .filter(([, cost]) => cost > burst)
    .map(([type, cost]) => `${costsName}: ${type} costs ${cost}, more than ${burstName} (${burst}), so it could never be sent`);
}
