import type { Redis } from "ioredis";
import { z } from "zod";
import { sql, type DatabasePool } from "../db/database.js";
import { AppError, notFound } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import {
  LAND_ATTEMPT_WINDOW_MS,
  LOCKOUT_MEMORY_MS,
  USER_ATTEMPT_MEMORY_MS,
  WRONG_ATTEMPTS_PER_LAND,
  WRONG_ATTEMPTS_PER_USER,
  lockoutDurationMs,
  locksOut,
  minutesLeft,
} from "../domain/chat/index.js";
import type { PasscodeHasher } from "./passcode-hasher.js";
import { redisScript } from "./redis-scripts.js";

/** How a member got into a land's chat; kept with the connection so a later change of the land can re-check it. */
export type ChatAccessVia = "owner" | "open" | "passcode";

export interface ChatAdmission {
  landId: string;
  ownerId: string;
  via: ChatAccessVia;
}

/** What decides who may read a land's chat. The passcode hash never leaves this module. */
export interface LandAccessState {
  landId: string;
  ownerId: string;
  fenced: boolean;
  /** Changes whenever the fence is set, changed or removed. */
  passcodeUpdatedAt: string | null;
  x: number;
  y: number;
}

const landRow = z.object({
  land_id: z.string(),
  owner_id: z.string(),
  fenced: z.boolean(),
  passcode_hash: z.string().nullable(),
  passcode_updated_at: z.string().nullable(),
  x: z.number(),
  y: z.number(),
});

/** The Redis keys that count one user's passcode attempts on one land (exported for tests and operators). */
export function chatAttemptKeys(prefix: string, landId: string, userId: string) {
  return {
    lock: `${prefix}:chat:lock:${landId}:${userId}`,
    wrong: `${prefix}:chat:wrong:${landId}:${userId}`,
    lockouts: `${prefix}:chat:lockouts:${landId}:${userId}`,
    landWrong: `${prefix}:chat:wrong-land:${landId}`,
  };
}

/**
 * Reserves one attempt before the passcode is checked, atomically, so a
 * hundred guesses sent at once cannot all slip in before the first is
 * counted. KEYS: lock, wrong, landWrong. ARGV: per-user max, per-land max,
 * user memory ms, land window ms. Returns {0, attempts by this user} to go
 * on, {1, ms left} when the user is locked out, {2, ms left} when the land is.
 */
const reserveAttempt = redisScript(`
local lockLeft = redis.call('PTTL', KEYS[1])
if lockLeft > 0 then return {1, lockLeft} end
local landWrong = tonumber(redis.call('GET', KEYS[3]) or '0')
if landWrong >= tonumber(ARGV[2]) then
  local left = redis.call('PTTL', KEYS[3])
  if left < 0 then redis.call('PEXPIRE', KEYS[3], ARGV[4]); left = tonumber(ARGV[4]) end
  return {2, left}
end
local attempts = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if attempts > tonumber(ARGV[1]) then return {1, 0} end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
return {0, attempts}`);

/** A right passcode: the user's wrong attempts are forgotten and the land's counter gives back the reserved one. KEYS: wrong, landWrong. */
const releaseAttempt = redisScript(`
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1`);

/**
 * Who may join a land's chat or read its history: anyone on an unfenced
 * land; on a fenced one the owner, and others with the passcode. Wrong
 * passcodes are counted in Redis (shared by every process): five by one user
 * on one land lock that user out of it for 15 minutes, doubling on each
 * repeat; twenty on one land within an hour lock everyone but the owner out.
 */
export function createChatAccessService(deps: { pool: DatabasePool; redis: Redis; prefix: string; passcodes: PasscodeHasher }) {
  const { pool, redis, prefix, passcodes } = deps;

  function lockedOut(msLeft: number, whose: "user" | "land"): AppError {
    const minutes = minutesLeft(msLeft);
    const reason =
      whose === "user" ? "Too many wrong passcodes for this land" : "This land has had too many wrong passcodes";
    return new AppError(ErrorCode.LOCKED_OUT, `${reason}; try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, {
      retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
    });
  }

  async function findLand(landId: string) {
    return pool.maybeOne(sql.type(landRow)`
      SELECT land_id, owner_id, fenced, passcode_hash, passcode_updated_at, x, y
      FROM lands WHERE land_id = ${landId} AND deleted_at IS NULL`);
  }

  /** Counts a wrong passcode; the fifth in a row locks the user out. */
  async function recordWrong(keys: ReturnType<typeof chatAttemptKeys>, attempts: number): Promise<void> {
    if (!locksOut(attempts)) return;
    const lockouts = await redis.incr(keys.lockouts);
    const durationMs = lockoutDurationMs(lockouts - 1);
    await redis
      .multi()
      .set(keys.lock, "1", "PX", durationMs)
      .pexpire(keys.lockouts, durationMs + LOCKOUT_MEMORY_MS)
      .del(keys.wrong)
      .exec();
  }

  return {
    /**
     * Decides whether `userId` may read the chat of `landId`, giving a
     * passcode (a join option, or the `X-Land-Passcode` header) when the
     * land is fenced. Every wrong passcode counts toward the lockouts.
     * @throws AppError NOT_FOUND (no one owns the land), WRONG_PASSCODE, LOCKED_OUT.
     */
    async admit(userId: string, landId: string, passcode: string | null | undefined): Promise<ChatAdmission> {
      const land = await findLand(landId);
      if (!land) throw notFound("No one owns this land, so it has no chat.");
      if (land.owner_id === userId) return { landId, ownerId: land.owner_id, via: "owner" };
      if (!land.fenced) return { landId, ownerId: land.owner_id, via: "open" };

      const keys = chatAttemptKeys(prefix, landId, userId);
      // Without a passcode there is no guess to count; a locked-out user still hears so.
      if (passcode === undefined || passcode === null || passcode === "") {
        const [lockLeft, landWrong] = await Promise.all([redis.pttl(keys.lock), redis.get(keys.landWrong)]);
        if (lockLeft > 0) throw lockedOut(lockLeft, "user");
        if (Number(landWrong ?? 0) >= WRONG_ATTEMPTS_PER_LAND) throw lockedOut(await redis.pttl(keys.landWrong), "land");
        throw new AppError(ErrorCode.WRONG_PASSCODE, "This land is fenced; give its passcode.");
      }

      const [verdict, value] = (await reserveAttempt(
        redis,
        [keys.lock, keys.wrong, keys.landWrong],
        [WRONG_ATTEMPTS_PER_USER, WRONG_ATTEMPTS_PER_LAND, USER_ATTEMPT_MEMORY_MS, LAND_ATTEMPT_WINDOW_MS],
      )) as [number, number];
      if (verdict === 1) throw lockedOut(value > 0 ? value : lockoutDurationMs(0), "user");
      if (verdict === 2) throw lockedOut(value, "land");

      if (passcodes.matches(landId, passcode, land.passcode_hash)) {
        await releaseAttempt(redis, [keys.wrong, keys.landWrong], []);
        return { landId, ownerId: land.owner_id, via: "passcode" };
      }
      await recordWrong(keys, value);
      throw new AppError(ErrorCode.WRONG_PASSCODE, "Wrong passcode for this land.");
    },

    /** The owner and fence of a land, to re-check members when it changes; undefined when no one owns it. */
    async landState(landId: string): Promise<LandAccessState | undefined> {
      const land = await findLand(landId);
      if (!land) return undefined;
      return {
        landId: land.land_id,
        ownerId: land.owner_id,
        fenced: land.fenced,
        passcodeUpdatedAt: land.passcode_updated_at,
        x: land.x,
        y: land.y,
      };
    },
  };
}
export type ChatAccessService = ReturnType<typeof createChatAccessService>;
