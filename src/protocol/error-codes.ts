/** The contract's closed set of error codes (PROTOCOL.md, "Error codes"). */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  INVALID_INPUT: "INVALID_INPUT",
  RATE_LIMITED: "RATE_LIMITED",
  INSUFFICIENT_FUNDS: "INSUFFICIENT_FUNDS",
  ALREADY_OWNED: "ALREADY_OWNED",
  NOT_OWNER: "NOT_OWNER",
  NOT_FOR_SALE: "NOT_FOR_SALE",
  LISTING_CLOSED: "LISTING_CLOSED",
  BID_TOO_LOW: "BID_TOO_LOW",
  OWN_LISTING: "OWN_LISTING",
  WRONG_PASSCODE: "WRONG_PASSCODE",
  LOCKED_OUT: "LOCKED_OUT",
  CONFLICT: "CONFLICT",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for each code, used by routes and by refused room joins. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  RATE_LIMITED: 429,
  INSUFFICIENT_FUNDS: 409,
  ALREADY_OWNED: 409,
  NOT_OWNER: 403,
  NOT_FOR_SALE: 409,
  LISTING_CLOSED: 409,
  BID_TOO_LOW: 409,
  OWN_LISTING: 409,
  WRONG_PASSCODE: 403,
  LOCKED_OUT: 423,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The body of every HTTP error and the `error` of a failed `result`. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
