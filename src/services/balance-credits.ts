import { z } from "zod";
import { AppError, notFound } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { sql, sqlState, type DatabasePool } from "../db/database.js";
import { writeAudit } from "./audit-writer.js";
import { toPublicUser, type PublicUser, type UsersRepository } from "./users-repository.js";

/**
 * The only way money enters or leaves the system: a credit (or a negative
 * debit) to one user, with its audit row in the same transaction. The sum of
 * all balances changes by exactly the audited amounts.
 * @throws AppError NOT_FOUND; INSUFFICIENT_FUNDS when a debit would go below the held amount.
 */
export async function creditBalance(
  pool: DatabasePool,
  users: UsersRepository,
  actor: { id: string; role: string },
  userId: string,
  amountBdt: number,
  reason: string,
): Promise<PublicUser> {
  try {
    return await pool.transaction(async (tx) => {
      const target = await users.lockForUpdate(tx, userId);
      if (!target || target.role === "system") throw notFound("No such user.");
      const updated = await tx.one(sql.type(z.object({ balance_bdt: z.number(), held_bdt: z.number() }))`
        UPDATE users SET balance_bdt = balance_bdt + ${amountBdt}, updated_at = now()
        WHERE user_id = ${userId} RETURNING balance_bdt, held_bdt`);
      await writeAudit(tx, {
        eventType: amountBdt > 0 ? "balance_credited" : "balance_debited",
        category: "payment",
        actorId: actor.id,
        actorRole: actor.role,
        resourceType: "user",
        resourceId: userId,
        action: "credit",
        details: { reason, balance_after_bdt: updated.balance_bdt },
        amountBdt,
      });
      return toPublicUser({ ...target, ...updated });
    });
  } catch (error) {
    if (sqlState(error) === "23514") {
      throw new AppError(ErrorCode.INSUFFICIENT_FUNDS, "That debit would leave less than the user's held funds.");
    }
    if (sqlState(error) === "22P02") throw notFound("No such user.");
    throw error;
  }
}
