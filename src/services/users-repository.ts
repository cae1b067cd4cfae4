import { z } from "zod";
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "../db/database.js";

export const WORLD_ACCOUNT_ID = "00000000-0000-4000-8000-000000000001";

const userRow = z.object({
  user_id: z.string(),
  username: z.string(),
  email: z.string(),
  role: z.enum(["user", "admin", "moderator", "system"]),
  balance_bdt: z.number(),
  held_bdt: z.number(),
  password_hash: z.string().nullable(),
  created_at: z.string(),
});
export type UserRow = z.infer<typeof userRow>;

/** What the contract shows of a user (`GET /me`). */
export interface PublicUser {
  user_id: string;
  username: string;
  role: string;
  balance_bdt: number;
  held_bdt: number;
}

export function toPublicUser(row: UserRow): PublicUser {
  return {
    user_id: row.user_id,
    username: row.username,
    role: row.role,
    balance_bdt: row.balance_bdt,
    held_bdt: row.held_bdt,
  };
}

type Queryable = DatabasePool | DatabaseTransactionConnection;

const columns = sql.fragment`user_id, username, email, role, balance_bdt, held_bdt, password_hash, created_at`;

export function createUsersRepository() {
  return {
    /** An active (not deleted) user by id. */
    findActiveById(db: Queryable, userId: string) {
      return db.maybeOne(sql.type(userRow)`
        SELECT ${columns} FROM users WHERE user_id = ${userId} AND deleted_at IS NULL`);
    },

    /** An active user by username or email, case-insensitively. */
    findActiveByLogin(db: Queryable, login: string) {
      return db.maybeOne(sql.type(userRow)`
        SELECT ${columns} FROM users
        WHERE deleted_at IS NULL AND role <> 'system'
          AND (lower(username) = lower(${login}) OR lower(email) = lower(${login}))
        ORDER BY lower(username) = lower(${login}) DESC
        LIMIT 1`);
    },

    insert(db: Queryable, user: { username: string; email: string; passwordHash: string; role?: string }) {
      return db.one(sql.type(userRow)`
        INSERT INTO users (username, email, password_hash, role)
        VALUES (${user.username}, ${user.email}, ${user.passwordHash}, ${user.role ?? "user"})
        RETURNING ${columns}`);
    },

    /** Locks the row for a balance change within the caller's transaction. */
    lockForUpdate(tx: DatabaseTransactionConnection, userId: string) {
      return tx.maybeOne(sql.type(userRow)`
        SELECT ${columns} FROM users WHERE user_id = ${userId} AND deleted_at IS NULL FOR UPDATE`);
    },
  };
}
export type UsersRepository = ReturnType<typeof createUsersRepository>;
