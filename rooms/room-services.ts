/**
 * Colyseus constructs rooms itself (and may do so because another process
 * asked), so services cannot be passed through room options, which travel as
 * JSON. The composition root provides them here once per process.
 */
import type { DatabasePool } from "../src/db/database.js";
import type { Logger } from "../src/logger.js";
import type { AccountsService } from "../src/services/accounts-service.js";
import type { Presence } from "@colyseus/core";
import type { PurchaseRequester } from "../src/services/purchase-requester.js";
import type { MarketService } from "../src/services/market-service.js";
import type { MessageRateLimiter } from "../src/services/rate-limits.js";
import type { ChunkMessage } from "../src/protocol/room-messages.js";
import type { LandOwnerService } from "../src/services/land-owner-service.js";
import type { LandsRepository } from "../src/services/lands-repository.js";
import type { Metrics } from "../src/services/metrics.js";
import type { WorldConfigService } from "../src/services/world-config-service.js";
import type { ChatServices } from "../src/services/chat-services.js";

export interface RoomServices {
  logger: Logger;
  metrics: Metrics;
  accounts: AccountsService;
  pool: DatabasePool;
  lands: LandsRepository;
  landOwner: LandOwnerService;
  purchases: PurchaseRequester;
  market: MarketService;
  presence: Presence;
  /** Chunk-room messages per user, priced per message type, shared through Redis. */
  chunkRateLimiter: MessageRateLimiter<ChunkMessage>;
  worldConfig: WorldConfigService;
  /** The land chat: access rules, batched message store, sessions, rate limit. */
  chat: ChatServices;
}

let provided: RoomServices | undefined;

export function provideRoomServices(services: RoomServices): void {
  provided = services;
}

export function roomServices(): RoomServices {
  if (!provided) throw new Error("Room services were not provided before the first room was created.");
  return provided;
}
