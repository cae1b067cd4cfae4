import { ServerError } from "@colyseus/core";
import { AppError, unauthenticated } from "../src/errors.js";
import { ErrorCode, HTTP_STATUS_BY_CODE } from "../src/protocol/error-codes.js";
import type { AuthenticatedUser } from "../src/services/accounts-service.js";
import { roomServices } from "./room-services.js";

/**
 * A refused join fails with an HTTP-range status and the contract's code as
 * its message (PROTOCOL.md, room `land_chat`).
 */
export function joinRefusal(code: ErrorCode): ServerError {
  return new ServerError(HTTP_STATUS_BY_CODE[code] >= 500 ? 503 : HTTP_STATUS_BY_CODE[code], code);
}

/** Turns any failure during onAuth/onJoin into a refusal with a contract code. */
export function refusalFor(error: unknown): ServerError {
  if (error instanceof ServerError) return error;
  if (error instanceof AppError) return joinRefusal(error.code);
  roomServices().logger.error({ err: error }, "join failed");
  return joinRefusal(ErrorCode.UNAVAILABLE);
}

/**
 * The same verification as the HTTP routes. With `optional`, a missing token
 * means an anonymous watcher; a present but bad token is always refused.
 */
export async function authenticateJoin(token: string | undefined, optional: boolean): Promise<AuthenticatedUser | null> {
  if (!token) {
    if (optional) return null;
    throw joinRefusal(ErrorCode.UNAUTHENTICATED);
  }
  try {
    return await roomServices().accounts.authenticate(token);
  } catch (error) {
    throw refusalFor(error);
  }
}

/**
 * A room session is authenticated once, at join, but acts only while the
 * token it joined with is valid: after that it gets UNAUTHENTICATED and must
 * log in again and rejoin.
 * @throws AppError UNAUTHENTICATED once the token has expired.
 */
export function assertTokenCurrent(user: AuthenticatedUser): void {
  if (Date.now() >= user.tokenExpiresAtMs) throw unauthenticated("Your token has expired: log in again and rejoin.");
}

/** setTimeout's longest delay; tokens may live longer (up to 30 days). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Calls `expired` (never synchronously) when the session's token expires. Returns a function that cancels it. */
export function whenTokenExpires(user: AuthenticatedUser, expired: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const remaining = Math.max(0, user.tokenExpiresAtMs - Date.now());
    timer = setTimeout(() => (Date.now() >= user.tokenExpiresAtMs ? expired() : arm()), Math.min(remaining, LONGEST_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
