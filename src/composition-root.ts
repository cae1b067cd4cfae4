/**
 * The composition root: config → pool → redis → queues → services → rooms.
 * `startServer` serves HTTP and WebSocket (with workers in-process unless
 * RUN_WORKERS=false); `startWorkers` runs the BullMQ workers alone.
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { matchMaker, Server, type Presence, type Transport } from "@colyseus/core";
import { Encoder } from "@colyseus/schema";
import { RedisPresence } from "@colyseus/redis-presence";
import { WebSocketTransport } from "@colyseus/ws-transport";
import type { Redis } from "ioredis";
import type { Config } from "./config.js";
import { createDatabase, type DatabasePool } from "./db/database.js";
import { ensureDatabaseExists, migrateUp } from "./db/migrator.js";
import type { Logger } from "./logger.js";
import { createRedis, redactUrl, waitForRedis } from "./redis.js";
import { createPasswordHasher } from "./auth/password-hasher.js";
import { createTokenService } from "./auth/token-service.js";
import { createAccountsService } from "./services/accounts-service.js";
import { createAdminService } from "./services/admin-service.js";
import { createHealthService } from "./services/health-service.js";
import { createMetrics, type Metrics } from "./services/metrics.js";
import { createMessageRateLimiter, createRateLimiter } from "./services/rate-limits.js";
import { createUsersRepository } from "./services/users-repository.js";
import { createWorldConfigService } from "./services/world-config-service.js";
import { createLandsRepository } from "./services/lands-repository.js";
import { createTerrainService } from "./services/terrain-service.js";
import { createLandChangePublisher } from "./services/land-changes.js";
import { createLandOwnerService } from "./services/land-owner-service.js";
import { createPasscodeHasher } from "./services/passcode-hasher.js";
import { createFirstSaleExecutor } from "./services/first-sale-service.js";
import { createPurchaseRequester } from "./services/purchase-requester.js";
import { createOutcomeListener, purchaseOutcomesChannel } from "./queue/purchase-outcomes.js";
import { createMarketService } from "./services/market-service.js";
import { createSettlementService } from "./services/settlement-service.js";
import { createOutboxRelay } from "./services/outbox.js";
import { QueueName } from "./queue/job-queues.js";
import { Queue } from "bullmq";
import { createListingsQueryService } from "./services/listings-query-service.js";
import { mountHttpApi } from "./http/http-app.js";
import { originAllowed } from "./http/origin-policy.js";
import { authRoutes } from "./http/routes/auth-routes.js";
import { adminRoutes } from "./http/routes/admin-routes.js";
import { opsRoutes } from "./http/routes/ops-routes.js";
import { worldRoutes } from "./http/routes/world-routes.js";
import { marketRoutes } from "./http/routes/market-routes.js";
import { webClientRoutes } from "./http/routes/web-client-routes.js";
import { OneRoomPerIdRedisDriver } from "./matchmaking/one-room-per-id-driver.js";
import { createJobQueues, startJobWorkers, type JobQueues, type JobWorkers } from "./queue/job-queues.js";
import { provideRoomServices } from "../rooms/room-services.js";
import { ChunkRoom } from "../rooms/ChunkRoom.js";
import { LandChatRoom } from "../rooms/LandChatRoom.js";
import { createChatServices } from "./services/chat-services.js";
import { chatRoutes } from "./http/routes/chat-routes.js";
import { RoomName } from "./protocol/room-messages.js";

/**
 * The Redis presence, without Node's "possible EventEmitter memory leak"
 * warning for busy channels: every land chat room of a chunk follows that
 * chunk's land-changes channel beside the chunk room, so a popular chunk has
 * dozens of listeners on one channel, all of them removed when their rooms
 * dispose.
 */
class ChunkFollowingPresence extends RedisPresence {
  constructor(options: ConstructorParameters<typeof RedisPresence>[0]) {
    super(options);
    this.subscriptions.setMaxListeners(0);
  }
}

// A chunk whose 1,024 lands are all owned and listed encodes to about 200 KiB;
// start the state encoder's buffer large enough instead of growing it (with a
// warning) under load.
Encoder.BUFFER_SIZE = 256 * 1024;

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "migrations");

/** A start-up failure worth one sentence to the operator, not a stack trace. */
export class StartupError extends Error {
  override name = "StartupError";
}

interface Infrastructure {
  pool: DatabasePool;
  /** Transactions here are SERIALIZABLE by default (money movements). */
  serializablePool: DatabasePool;
  redis: Redis;
  subscriber: Redis;
  queueConnection: Redis;
  /** Colyseus presence: pub/sub and shared state of the cluster, also used by worker processes. */
  presence: RedisPresence;
  metrics: Metrics;
  close(): Promise<void>;
}

async function connectInfrastructure(config: Config, logger: Logger, applicationName: string): Promise<Infrastructure> {
  const databaseUrl = redactUrl(config.databaseUrl);
  try {
    const outcome = await ensureDatabaseExists(config.databaseUrl);
    if (outcome === "created") logger.info({ database: databaseUrl }, "created the database");
  } catch (error) {
    const reason = (error as Error).message || (error as { code?: string }).code || "no answer";
    throw new StartupError(
      `Cannot reach PostgreSQL at ${databaseUrl} (${reason}); start PostgreSQL or set DATABASE_URL to a server that answers.`,
    );
  }
  // DATABASE_POOL_SIZE is this process's whole budget: half for money
  // movements (one SERIALIZABLE statement each), the rest for everything else.
  const serializablePoolSize = Math.max(1, Math.ceil(config.databasePoolSize / 2));
  const pool = await createDatabase({
    url: config.databaseUrl,
    poolSize: Math.max(1, config.databasePoolSize - serializablePoolSize),
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    applicationName,
  });
  const serializablePool = await createDatabase({
    url: config.databaseUrl,
    poolSize: serializablePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    applicationName: `${applicationName}-money`,
    serializableByDefault: true,
  });

  const redis = createRedis(config.redisUrl, `${applicationName}-main`, {}, logger);
  const subscriber = createRedis(config.redisUrl, `${applicationName}-sub`, {}, logger);
  const queueConnection = createRedis(config.redisUrl, `${applicationName}-queue`, {
    maxRetriesPerRequest: null,
    enableAutoPipelining: false,
  }, logger);
  try {
    await Promise.all([
      waitForRedis(redis, config.redisUrl),
      waitForRedis(subscriber, config.redisUrl),
      waitForRedis(queueConnection, config.redisUrl),
    ]);
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    queueConnection.disconnect();
    await Promise.all([pool.end(), serializablePool.end()]);
    throw new StartupError(`${(error as Error).message}; start Redis or set REDIS_URL to a server that answers.`);
  }
  await checkRedisEvictionPolicy(redis, config, logger);
  const presence = new ChunkFollowingPresence({ ...redisOptionsFrom(config.redisUrl), keyPrefix: colyseusKeyPrefix(config) });
  quietReconnects(logger, "presence", [(presence as unknown as { pub: Redis }).pub, (presence as unknown as { sub: Redis }).sub]);

  return {
    pool,
    serializablePool,
    redis,
    subscriber,
    queueConnection,
    presence,
    metrics: createMetrics(),
    async close() {
      // The match maker quits the presence's connections on a server's graceful
      // shutdown; a worker process, which has no match maker, quits them here.
      for (const connection of [(presence as unknown as { pub: Redis }).pub, (presence as unknown as { sub: Redis }).sub]) {
        if (connection.status !== "end") await connection.quit().catch(() => undefined);
      }
      await Promise.allSettled([redis.quit(), subscriber.quit(), queueConnection.quit()]);
      await Promise.all([pool.end(), serializablePool.end()]);
    },
  };
}

/** BullMQ loses jobs when Redis evicts keys: refuse that in production, warn in development. */
async function checkRedisEvictionPolicy(redis: Redis, config: Config, logger: Logger): Promise<void> {
  const reply = (await redis.config("GET", "maxmemory-policy").catch(() => [])) as string[];
  const policy = reply[1];
  if (policy === undefined || policy === "noeviction") return;
  const message = `Redis maxmemory-policy is "${policy}", but queued jobs need "noeviction" (set maxmemory-policy noeviction in redis.conf)`;
  if (config.env === "production") throw new StartupError(`${message}; refusing to start in production.`);
  logger.warn(message);
}

function createServices(config: Config, infra: Infrastructure, logger: Logger) {
  const { pool, redis, subscriber, metrics, presence } = infra;
  const users = createUsersRepository();
  const tokens = createTokenService(config.jwt);
  const hasher = createPasswordHasher(config.argon2MemoryKib);
  const prefix = config.queuePrefix;
  const accounts = createAccountsService({
    pool,
    users,
    hasher,
    tokens,
    limits: {
      loginPerIp: createRateLimiter(redis, prefix, "login-ip", config.rateLimits.loginPerMinute * 5, 60),
      loginPerAccount: createRateLimiter(redis, prefix, "login-account", config.rateLimits.loginPerMinute, 60),
      registerPerIp: createRateLimiter(redis, prefix, "register-ip", config.rateLimits.registerPerHour, 3600),
      registerPerAccount: createRateLimiter(redis, prefix, "register-account", 10, 3600),
    },
  });
  const worldConfig = createWorldConfigService({ pool, redis, subscriber, channel: `${prefix}:config-changed` });
  const admin = createAdminService({ pool, users, config: worldConfig });
  const lands = createLandsRepository();
  const terrain = createTerrainService({ pool, redis, worldConfig, lands, keyPrefix: prefix, logger, metrics });
  const publisher = createLandChangePublisher({ pool, lands, presence, logger });
  const landOwner = createLandOwnerService({ pool, passcodes: createPasscodeHasher(config.passcodePepper), publisher });
  const firstSales = createFirstSaleExecutor({ serializablePool: infra.serializablePool, pool, worldConfig, publisher, metrics });
  // The outbox schedules auction closes on a queue of its own connection's making.
  const auctionsQueue = new Queue(QueueName.AUCTIONS, { connection: infra.queueConnection, prefix: config.queuePrefix });
  auctionsQueue.on("error", () => undefined); // outages are logged once by the connection
  const outbox = createOutboxRelay({ pool, auctionsQueue, publisher, presence, logger });
  const market = createMarketService({ pool, serializablePool: infra.serializablePool, outbox, publisher, metrics });
  const settlements = createSettlementService({ pool, worldConfig, outbox, metrics, faultDelayMs: config.faultSettlementDelayMs });
  return {
    users,
    tokens,
    hasher,
    accounts,
    worldConfig,
    admin,
    lands,
    publisher,
    terrain,
    landOwner,
    firstSales,
    outbox,
    market,
    settlements,
    auctionsQueue,
    listingsQuery: createListingsQueryService({ pool }),
    chat: createChatServices({
      pool,
      redis,
      prefix,
      passcodes: createPasscodeHasher(config.passcodePepper),
      logger,
      metrics,
      rateLimit: config.chatRateLimit,
    }),
    logger,
    metrics,
    pool,
    redis,
  };
}
export type Services = ReturnType<typeof createServices>;

export interface RunningServer {
  port: number;
  services: Services;
  stop(): Promise<void>;
}

/** Applies migrations, then serves HTTP and WebSocket on one port. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  // The transport first: a missing optional transport is reported before anything is touched.
  const transport = await createTransport(config, http.createServer());
  const infra = await connectInfrastructure(config, logger, "vlw-server");
  await migrateUp(config.databaseUrl, MIGRATIONS_DIR).catch(async (error) => {
    await infra.close();
    throw new StartupError((error as Error).message);
  });
  const services = createServices(config, infra, logger);
  await services.worldConfig.start();
  const queues = createJobQueues(config, infra.queueConnection);
  const purchaseOutcomes = createOutcomeListener(infra.subscriber, purchaseOutcomesChannel(config.queuePrefix));
  await purchaseOutcomes.start();
  infra.metrics.trackQueues([queues.purchases, queues.auctions, queues.maintenance]);
  const workers = config.runWorkers ? startJobWorkers(config, services, infra.queueConnection, logger) : undefined;

  let shuttingDown = false;
  const health = createHealthService({ pool: infra.pool, redis: infra.redis, isShuttingDown: () => shuttingDown });
  provideRoomServices({
    logger,
    metrics: infra.metrics,
    accounts: services.accounts,
    lands: services.lands,
    pool: infra.pool,
    landOwner: services.landOwner,
    purchases: createPurchaseRequester({
      pool: infra.pool,
      queue: queues.purchases,
      outcomes: purchaseOutcomes,
      worldConfig: services.worldConfig,
      timeoutMs: 10_000,
    }),
    market: services.market,
    presence: infra.presence,
    chunkRateLimiter: createMessageRateLimiter(infra.redis, config.queuePrefix, "chunk-messages", config.chunkRateLimit),
    worldConfig: services.worldConfig,
    chat: services.chat,
  });

  const driver = new OneRoomPerIdRedisDriver({ ...redisOptionsFrom(config.redisUrl), keyPrefix: colyseusKeyPrefix(config) }, () => undefined);
  restrictMatchmaking(config);

  const gameServer = new Server({
    transport,
    presence: infra.presence as Presence,
    driver,
    publicAddress: config.publicAddress,
    gracefullyShutdown: false,
    greet: false,
    logger: undefined,
    express: (app) => {
      mountHttpApi(app, {
        logger,
        metrics: infra.metrics,
        bodyLimitBytes: config.httpBodyLimitBytes,
        routers: [
          opsRoutes({ health, metrics: infra.metrics }),
          authRoutes({ accounts: services.accounts, trustProxy: config.trustProxy }),
          adminRoutes({ accounts: services.accounts, admin: services.admin }),
          // Before worldRoutes: its /lands/:x/:y would also match /lands/:land_id/messages.
          chatRoutes({ accounts: services.accounts, chat: services.chat }),
          worldRoutes({ terrain: services.terrain, accounts: services.accounts }),
          marketRoutes({ accounts: services.accounts, listingsQuery: services.listingsQuery }),
          webClientRoutes(), // the browser client at `/`, after every API route
        ],
      });
    },
  });
  // filterBy puts cx/cy into the join conditions, which the driver turns into the room id.
  gameServer.define(RoomName.CHUNK, ChunkRoom).filterBy(["cx", "cy"]);
  // The driver maps land_id to the fixed room id land_chat_<land_id>, which onCreate also sets.
  gameServer.define(RoomName.LAND_CHAT, LandChatRoom).filterBy(["land_id"]);

  await gameServer.listen(config.port, config.host);
  const address = (transport as { server?: http.Server }).server?.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  logger.info({ port, transport: config.transport, workers: config.runWorkers }, "server listening");

  return {
    port,
    services,
    async stop() {
      shuttingDown = true;
      await gameServer.gracefullyShutdown(false).catch((error) => logger.warn({ err: error }, "room shutdown failed"));
      await services.chat.messages.drain(); // chat messages accepted before the rooms closed
      await workers?.close();
      await queues.close();
      await services.auctionsQueue.close();
      purchaseOutcomes.stop();
      await services.worldConfig.stop();
      await infra.close();
    },
  };
}

/** Runs the BullMQ workers without serving anything (`npm run worker`). */
export async function startWorkers(config: Config, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const infra = await connectInfrastructure(config, logger, "vlw-worker");
  await migrateUp(config.databaseUrl, MIGRATIONS_DIR).catch(async (error) => {
    await infra.close();
    throw new StartupError((error as Error).message);
  });
  const services = createServices(config, infra, logger);
  await services.worldConfig.start();
  const workers: JobWorkers = startJobWorkers(config, services, infra.queueConnection, logger);
  logger.info("workers running");
  return {
    async stop() {
      await workers.close();
      await services.auctionsQueue.close();
      await services.worldConfig.stop();
      await infra.close();
    },
  };
}

async function createTransport(config: Config, server: http.Server): Promise<Transport> {
  if (config.transport === "uws") return loadUWebSocketsTransport(config);
  return new WebSocketTransport({
    server,
    maxPayload: config.wsMaxPayloadBytes,
    // Cross-site WebSocket hijacking: a page from another origin is refused before the handshake.
    beforeUpgrade: (request) =>
      originAllowed(request.headers.get("origin"), request.headers.get("host"), config.allowedOrigins)
        ? undefined
        : new Response("FORBIDDEN: this origin may not open a WebSocket here", { status: 403 }),
  });
}

/**
 * uWebSockets.js is not on the npm registry, so its Colyseus transport is
 * optional: loaded only when TRANSPORT=uws and only if someone installed it.
 * @throws StartupError saying how to install it, or why it could not load.
 */
async function loadUWebSocketsTransport(config: Config): Promise<Transport> {
  const moduleName = "@colyseus/uwebsockets-transport";
  let loaded: { uWebSocketsTransport: new (options: Record<string, unknown>) => Transport };
  try {
    loaded = (await import(moduleName)) as typeof loaded;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new StartupError(
        `TRANSPORT=uws needs ${moduleName}, which is not installed: run "npm install ${moduleName}" and install uWebSockets.js from its published release builds (they need glibc 2.38 or newer), or set TRANSPORT=ws.`,
      );
    }
    throw new StartupError(
      `TRANSPORT=uws: ${moduleName} is installed but could not be loaded (${message ?? code}); its uWebSockets.js build may not fit this machine (it needs glibc 2.38 or newer). Set TRANSPORT=ws.`,
    );
  }
  return new loaded.uWebSocketsTransport({ maxPayloadLength: config.wsMaxPayloadBytes });
}

/**
 * Clients made by libraries (the presence's pub/sub pair) reconnect by
 * themselves; a listener keeps ioredis from printing a stack trace for every
 * failed attempt during an outage. One warning per outage is logged.
 */
function quietReconnects(logger: Logger, name: string, clients: Redis[]): void {
  for (const client of clients) {
    let down = false;
    client.on("error", (error: Error) => {
      if (!down) logger.warn({ err: error.message, connection: name }, "redis connection lost; reconnecting");
      down = true;
    });
    client.on("ready", () => {
      down = false;
    });
  }
}

/** Colyseus' matchmaking keys live under the app's namespace, so several deployments can share a Redis. */
function colyseusKeyPrefix(config: Config): string {
  return `${config.queuePrefix}:cy:`;
}

function redisOptionsFrom(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
  };
}

/**
 * Rooms are keyed by chunk or land, and clients only ever join them: `create`
 * is not offered, and cross-origin requests get CORS headers only for the
 * configured origins (never `*` with credentials).
 */
function restrictMatchmaking(config: Config): void {
  const controller = matchMaker.controller;
  controller.exposedMethods = ["joinOrCreate", "join", "joinById", "reconnect"];
  const defaults = controller.DEFAULT_CORS_HEADERS as Record<string, string>;
  delete defaults["Access-Control-Allow-Origin"];
  delete defaults["Access-Control-Allow-Credentials"];
  controller.getCorsHeaders = (headers: Headers): Record<string, string> => {
    const origin = headers.get("origin");
    if (origin && originAllowed(origin, headers.get("host"), config.allowedOrigins)) {
      return { "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", Vary: "Origin" };
    }
    return { Vary: "Origin" };
  };
}
