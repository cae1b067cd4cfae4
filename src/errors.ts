import { ErrorCode, HTTP_STATUS_BY_CODE, type ErrorBody } from "./protocol/error-codes.js";
import { isConnectionFailure } from "./db/database.js";

/**
 * An expected rejection: carries one of the contract's codes and a sentence a
 * client can show. Edges (HTTP routes, rooms, workers) turn it into the
 * contract's error shape; anything else that escapes is an `INTERNAL` error
 * whose details are logged and never sent.
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export const invalidInput = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.INVALID_INPUT, message, details);
export const notFound = (message: string) => new AppError(ErrorCode.NOT_FOUND, message);
export const unauthenticated = (message = "A valid token is required.") =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = "You are not allowed to do that.") => new AppError(ErrorCode.FORBIDDEN, message);
export const unavailable = (message = "The service is temporarily unavailable; try again.") =>
  new AppError(ErrorCode.UNAVAILABLE, message);

/**
 * The contract's error body for any thrown value; internal details never leave
 * the server. A lost database or Redis connection is `UNAVAILABLE` (try again),
 * not `INTERNAL`.
 */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof AppError) return error.toBody();
  if (isConnectionFailure(error)) {
    return { code: ErrorCode.UNAVAILABLE, message: "A service the server depends on is unavailable; try again." };
  }
  return { code: ErrorCode.INTERNAL, message: "Something went wrong on the server." };
}
