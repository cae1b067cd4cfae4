import type { Redis } from "ioredis";
import type { DatabasePool } from "../db/database.js";
import type { Logger } from "../logger.js";
import { createChatAccessService } from "./chat-access-service.js";
import { createChatMessageStore, type BatchSettings } from "./chat-message-store.js";
import { createChatSessions } from "./chat-sessions.js";
import type { Metrics } from "./metrics.js";
import type { PasscodeHasher } from "./passcode-hasher.js";
import type { ChatMessage } from "../protocol/room-messages.js";
import { createMessageRateLimiter, type TokenBucketLimits } from "./rate-limits.js";

/**
 * Everything the land chat needs, built once per process: who may read a
 * land's chat (with the passcode lockouts), the batched message store, the
 * sessions, and the per-user message rate shared through Redis.
 */
export function createChatServices(deps: {
  pool: DatabasePool;
  redis: Redis;
  prefix: string;
  passcodes: PasscodeHasher;
  logger: Logger;
  metrics: Metrics;
  rateLimit: TokenBucketLimits & { costs: Readonly<Record<ChatMessage, number>> };
  batch?: Partial<BatchSettings>;
}) {
  const { pool, redis, prefix, passcodes, logger, metrics } = deps;
  return {
    access: createChatAccessService({ pool, redis, prefix, passcodes }),
    messages: createChatMessageStore({ pool, logger, metrics, ...(deps.batch ? { batch: deps.batch } : {}) }),
    sessions: createChatSessions({ pool, logger }),
    /** Every chat message per user, priced by type (`msg`, `delete`, unparsed), every process together. */
    rateLimiter: createMessageRateLimiter(redis, prefix, "chat", deps.rateLimit),
  };
}
export type ChatServices = ReturnType<typeof createChatServices>;
