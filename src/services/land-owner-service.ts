import { z } from "zod";
import { AppError } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { checkPublicMessage } from "../domain/land/land-rules.js";
import { sql, sqlState, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";
import { writeAudit } from "./audit-writer.js";
import type { LandChangePublisher } from "./land-changes.js";
import type { PasscodeHasher } from "./passcode-hasher.js";
import { findStoredOutcome, storeOutcome, type StoredOutcome } from "./request-results.js";

export interface OwnerActor {
  userId: string;
  role: string;
}

const ownedLand = z.object({ land_id: z.string(), owner_id: z.string() });
const failure = (code: ErrorCode, message: string): StoredOutcome => ({ ok: false, error: { code, message } });

/**
 * What an owner does to a land: fence it with a passcode and sign it with a
 * public message. Each change is one transaction with its audit row and the
 * request's stored answer; a repeated `req` replays that answer.
 */
export function createLandOwnerService(deps: { pool: DatabasePool; passcodes: PasscodeHasher; publisher: LandChangePublisher }) {
  const { pool, passcodes, publisher } = deps;

  async function ownerChange(
    actor: OwnerActor,
    req: string,
    action: string,
    x: number,
    y: number,
    change: (tx: DatabaseTransactionConnection, landId: string) => Promise<StoredOutcome>,
  ): Promise<StoredOutcome> {
    let changedLandId: string | undefined;
    try {
      const outcome = await pool.transaction(async (tx) => {
        const stored = await findStoredOutcome(tx, actor.userId, req);
        if (stored) return stored;
        const land = await tx.maybeOne(sql.type(ownedLand)`
          SELECT land_id, owner_id FROM lands WHERE x = ${x} AND y = ${y} AND z = 0 FOR UPDATE`);
        let result: StoredOutcome;
        if (!land || land.owner_id !== actor.userId) {
          result = failure(ErrorCode.NOT_OWNER, "Only the land's owner may do that.");
        } else {
          result = await change(tx, land.land_id);
          if (result.ok) changedLandId = land.land_id;
        }
        await storeOutcome(tx, actor.userId, req, action, result);
        return result;
      });
      if (changedLandId) await publisher.publish(changedLandId);
      return outcome;
    } catch (error) {
      if (sqlState(error) === "23505") {
        const stored = await findStoredOutcome(pool, actor.userId, req);
        if (stored) return stored;
      }
      throw error;
    }
  }

  return {
    /** `fence`: a 4-digit passcode sets or changes the fence, null removes it. Owner only. */
    fence(actor: OwnerActor, req: string, x: number, y: number, passcode: string | null): Promise<StoredOutcome> {
      return ownerChange(actor, req, "fence", x, y, async (tx, landId) => {
        const hash = passcode === null ? null : passcodes.hash(landId, passcode);
        await tx.query(sql.unsafe`
          UPDATE lands SET fenced = ${hash !== null}, passcode_hash = ${hash},
                 passcode_updated_at = clock_timestamp(), updated_at = clock_timestamp()
          WHERE land_id = ${landId}`);
        await writeAudit(tx, {
          eventType: passcode === null ? "fence_removed" : "fence_set",
          category: "user",
          actorId: actor.userId,
          actorRole: actor.role,
          resourceType: "land",
          resourceId: landId,
          action: "fence",
          details: { x, y, req },
        });
        return { ok: true, data: { land_id: landId, x, y, fenced: hash !== null } };
      });
    },

    /**
     * `set_message`: at most 280 characters after trimming, control characters refused, `""` clears. Owner only.
     * @throws AppError INVALID_INPUT for a text that breaks the rules (nothing is stored for the req).
     */
    setMessage(actor: OwnerActor, req: string, x: number, y: number, text: string): Promise<StoredOutcome> {
      const checked = checkPublicMessage(text);
      if (!checked.ok) throw new AppError(ErrorCode.INVALID_INPUT, checked.reason);
      return ownerChange(actor, req, "set_message", x, y, async (tx, landId) => {
        await tx.query(sql.unsafe`
          UPDATE lands SET public_message = ${checked.message}, updated_at = clock_timestamp()
          WHERE land_id = ${landId}`);
        await writeAudit(tx, {
          eventType: "public_message_set",
          category: "user",
          actorId: actor.userId,
          actorRole: actor.role,
          resourceType: "land",
          resourceId: landId,
          action: "set_message",
          details: { x, y, req, length: checked.message === null ? 0 : [...checked.message].length },
        });
        return { ok: true, data: { land_id: landId, x, y, public_message: checked.message ?? "" } };
      });
    },
  };
}
export type LandOwnerService = ReturnType<typeof createLandOwnerService>;
