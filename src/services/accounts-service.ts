import { AppError, notFound, unauthenticated } from "../errors.js";
import { ErrorCode } from "../protocol/error-codes.js";
import { sqlState, violatedConstraint, type DatabasePool } from "../db/database.js";
import type { PasswordHasher } from "../auth/password-hasher.js";
import type { TokenService } from "../auth/token-service.js";
import { writeAudit } from "./audit-writer.js";
import { toPublicUser, type PublicUser, type UserRow, type UsersRepository } from "./users-repository.js";
import type { RateLimiter } from "./rate-limits.js";

export interface AccountsDeps {
  pool: DatabasePool;
  users: UsersRepository;
  hasher: PasswordHasher;
  tokens: TokenService;
  limits: { loginPerIp: RateLimiter; loginPerAccount: RateLimiter; registerPerIp: RateLimiter; registerPerAccount: RateLimiter };
}

export interface AuthenticatedUser {
  userId: string;
  username: string;
  role: UserRow["role"];
  /** When the token this identity came from expires (epoch ms): a room session acts on it only until then. */
  tokenExpiresAtMs: number;
}

/** Registration, login and the identity behind a token. */
export function createAccountsService(deps: AccountsDeps) {
  const { pool, users, hasher, tokens, limits } = deps;

  function conflictFor(error: unknown): AppError | undefined {
    if (sqlState(error) !== "23505") return undefined;
    const constraint = violatedConstraint(error) ?? "";
    if (constraint.includes("username")) return new AppError(ErrorCode.CONFLICT, "That username is taken.");
    if (constraint.includes("email")) return new AppError(ErrorCode.CONFLICT, "That email is already registered.");
    return new AppError(ErrorCode.CONFLICT, "That account already exists.");
  }

  return {
    /**
     * @throws AppError CONFLICT when the username (in any case) or the email is taken; RATE_LIMITED.
     */
    async register(
      input: { username: string; email: string; password: string },
      clientIp: string,
    ): Promise<{ token: string; user: PublicUser }> {
      await limits.registerPerIp.consume(clientIp);
      // Per account too: repeated attempts at one username or email (probing
      // which exist, or racing a victim) are slowed from any number of addresses.
      await limits.registerPerAccount.consume(`u:${input.username.toLowerCase()}`);
      await limits.registerPerAccount.consume(`e:${input.email.toLowerCase()}`);
      const passwordHash = await hasher.hash(input.password);
      try {
        const row = await pool.transaction(async (tx) => {
          const inserted = await users.insert(tx, { username: input.username, email: input.email, passwordHash });
          await writeAudit(tx, {
            eventType: "user_registered",
            category: "user",
            actorId: inserted.user_id,
            actorRole: inserted.role,
            resourceType: "user",
            resourceId: inserted.user_id,
            action: "register",
            details: { username: inserted.username },
          });
          return inserted;
        });
        return { token: tokens.sign({ sub: row.user_id, username: row.username }), user: toPublicUser(row) };
      } catch (error) {
        throw conflictFor(error) ?? error;
      }
    },

    /**
     * @throws AppError UNAUTHENTICATED for an unknown login or a wrong password (the same answer for both); RATE_LIMITED.
     */
    async login(input: { login: string; password: string }, clientIp: string) {
      const accountKey = input.login.toLowerCase();
      await limits.loginPerIp.consume(clientIp);
      await limits.loginPerAccount.consume(accountKey);
      const row = await users.findActiveByLogin(pool, input.login);
      const passwordMatches = await hasher.verify(row?.password_hash ?? null, input.password);
      if (!row || !passwordMatches) throw unauthenticated("Wrong username, email or password.");
      await limits.loginPerAccount.reset(accountKey);
      return { token: tokens.sign({ sub: row.user_id, username: row.username }), user: toPublicUser(row) };
    },

    /**
     * The live user behind a token: a valid signature is not enough, the account must still exist.
     * @throws AppError UNAUTHENTICATED.
     */
    async authenticate(token: string): Promise<AuthenticatedUser> {
      const claims = tokens.verify(token);
      const row = await users.findActiveById(pool, claims.sub).catch(() => null);
      if (!row || row.role === "system") throw unauthenticated("The account behind this token no longer exists.");
      return { userId: row.user_id, username: row.username, role: row.role, tokenExpiresAtMs: claims.expiresAtMs };
    },

    /** @throws AppError NOT_FOUND */
    async me(userId: string): Promise<PublicUser> {
      const row = await users.findActiveById(pool, userId);
      if (!row) throw notFound("No such user.");
      return toPublicUser(row);
    },
  };
}
export type AccountsService = ReturnType<typeof createAccountsService>;
