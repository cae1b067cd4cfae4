import { ServerError } from "@colyseus/core";
import { AppError } from "../src/errors.js";
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
