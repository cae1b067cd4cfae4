import { z } from "zod";
import { sql, type DatabasePool } from "../db/database.js";
import type { PasswordHasher } from "../auth/password-hasher.js";
import { writeAudit } from "./audit-writer.js";
import { WORLD_ACCOUNT_ID } from "./users-repository.js";

/**
 * Creates an admin account, or promotes the existing user with that username
 * (case-insensitively) or email; audited as a system action. Used by
 * `npm run admin:create`.
 */
export async function createOrPromoteAdmin(
  pool: DatabasePool,
  hasher: PasswordHasher,
  input: { username: string; email: string; password: string },
): Promise<{ userId: string; outcome: "created" | "promoted" | "unchanged" }> {
  const passwordHash = await hasher.hash(input.password);
  return pool.transaction(async (tx) => {
    const existing = await tx.maybeOne(sql.type(z.object({ user_id: z.string(), role: z.string() }))`
      SELECT user_id, role FROM users
      WHERE deleted_at IS NULL AND role <> 'system'
        AND (lower(username) = lower(${input.username}) OR lower(email) = lower(${input.email}))
      ORDER BY lower(username) = lower(${input.username}) DESC
      LIMIT 1 FOR UPDATE`);
    let userId: string;
    let outcome: "created" | "promoted" | "unchanged";
    if (existing) {
      userId = existing.user_id;
      outcome = existing.role === "admin" ? "unchanged" : "promoted";
      if (outcome === "promoted") {
        await tx.query(sql.unsafe`UPDATE users SET role = 'admin', updated_at = now() WHERE user_id = ${userId}`);
      }
    } else {
      userId = await tx.oneFirst(sql.type(z.object({ user_id: z.string() }))`
        INSERT INTO users (username, email, password_hash, role)
        VALUES (${input.username}, ${input.email}, ${passwordHash}, 'admin') RETURNING user_id`);
      outcome = "created";
    }
    if (outcome !== "unchanged") {
      await writeAudit(tx, {
        eventType: outcome === "created" ? "admin_created" : "admin_promoted",
        category: "admin",
        actorId: WORLD_ACCOUNT_ID,
        actorRole: "system",
        resourceType: "user",
        resourceId: userId,
        action: "admin_create_command",
        details: { username: input.username },
      });
    }
    return { userId, outcome };
  });
}
