import { initializeRoomCache, type IRoomCache } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Redis, type RedisOptions } from "ioredis";
import { chunkRoomId, RoomName } from "../protocol/room-messages.js";

const ROOMCACHES_KEY = "roomcaches";

/** The fixed room id of a keyed room (one per chunk, one per land), from join conditions or options. */
export function keyedRoomId(roomName: unknown, conditions: Record<string, unknown>): string | undefined {
  if (roomName === RoomName.CHUNK && Number.isInteger(conditions.cx) && Number.isInteger(conditions.cy)) {
    return chunkRoomId(conditions.cx as number, conditions.cy as number);
  }
  if (roomName === RoomName.LAND_CHAT && typeof conditions.land_id === "string") {
    return `land_chat_${conditions.land_id}`;
  }
  return undefined;
}

/**
 * The stock Redis driver with two changes that keyed rooms need:
 * - `insert` registers a room only if its id is free (HSETNX), so racing
 *   processes that create chunk (3, 4) at the same instant end with one room;
 *   the match maker then sends the losers' clients to the winner.
 * - `findOne` for a keyed room reads that one entry instead of loading and
 *   parsing every room of the cluster, so joining costs the same with 10 rooms
 *   or 10,000.
 */
export class OneRoomPerIdRedisDriver extends RedisDriver {
  private readonly redis: Redis;

  constructor(options: RedisOptions, onError: (error: Error) => void = () => undefined) {
    const redis = new Redis(options);
    // ioredis reconnects by itself; without a listener it prints every failed attempt.
    redis.on("error", onError);
    super(redis);
    this.redis = redis;
  }

  async insert(room: IRoomCache): Promise<boolean> {
    return (await this.redis.hsetnx(ROOMCACHES_KEY, room.roomId, JSON.stringify(room))) === 1;
  }

  override findOne(conditions: Partial<IRoomCache>, sortOptions?: Parameters<RedisDriver["findOne"]>[1]) {
    const roomId = conditions.roomId === undefined ? keyedRoomId(conditions.name, conditions as Record<string, unknown>) : undefined;
    if (roomId === undefined) return super.findOne(conditions, sortOptions);
    return this.redis.hget(ROOMCACHES_KEY, roomId).then((raw) => {
      if (!raw) return undefined;
      const room = initializeRoomCache(JSON.parse(raw));
      // Filter fields (cx, cy, land_id) live in the listing's metadata.
      const listing = room as unknown as Record<string, unknown> & { metadata?: Record<string, unknown> };
      const matches = Object.entries(conditions).every(
        ([field, expected]) => (field in listing ? listing[field] : listing.metadata?.[field]) === expected,
      );
      return matches ? room : undefined;
    }) as ReturnType<RedisDriver["findOne"]>;
  }
}
