/**
 * Every error the server can send, in words a player understands. The codes
 * come from the shared protocol module, so a new code breaks this build until
 * it has a sentence.
 */
import { ErrorCode } from "../../src/protocol/error-codes.js";

const SENTENCES: Record<ErrorCode, string> = {
  UNAUTHENTICATED: "Please log in again: you are not logged in, or your session has expired.",
  FORBIDDEN: "You are not allowed to do that.",
  NOT_FOUND: "That does not exist (any more).",
  INVALID_INPUT: "Something in the form is not right.",
  RATE_LIMITED: "You are going too fast. Wait a moment and try again.",
  INSUFFICIENT_FUNDS: "You do not have enough available money for this (your balance minus what is held for your bids).",
  ALREADY_OWNED: "Someone already owns this land.",
  NOT_OWNER: "Only the land's owner can do that.",
  NOT_FOR_SALE: "This land is not for sale.",
  LISTING_CLOSED: "This listing has already ended.",
  BID_TOO_LOW: "Your bid is too low: bid at least the minimum shown.",
  OWN_LISTING: "You cannot buy or bid on your own listing.",
  WRONG_PASSCODE: "That passcode is wrong.",
  LOCKED_OUT: "Too many wrong passcodes: you are locked out of this land's chat for a while.",
  CONFLICT: "That clashes with a change that just happened. Refresh and try again.",
  UNAVAILABLE: "The server is busy or a service is down. Try again in a moment.",
  INTERNAL: "Something went wrong on the server. Try again; if it keeps happening, tell us.",
};

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ErrorCode, code);
}

/** Codes whose server message is already a sentence for people ("That username is taken."). */
const SERVER_SPEAKS_FOR: ErrorCode[] = [ErrorCode.CONFLICT, ErrorCode.LOCKED_OUT, ErrorCode.RATE_LIMITED, ErrorCode.FORBIDDEN];
/** Codes whose server message adds useful detail to our sentence (which field was wrong). */
const SERVER_DETAILS: ErrorCode[] = [ErrorCode.INVALID_INPUT];

/** A player-facing sentence for an error code and the server's own message. */
export function describeError(code: string | undefined, serverMessage?: string): string {
  if (!isErrorCode(code)) return serverMessage ? `Something went wrong: ${serverMessage}` : "Something went wrong. Try again.";
  const sentence = SENTENCES[code];
  const message = serverMessage && serverMessage !== code ? serverMessage.trim() : "";
  if (message && SERVER_SPEAKS_FOR.includes(code) && /^[A-Z].*[.!?]$/.test(message)) return message;
  if (message && SERVER_DETAILS.includes(code)) return `${sentence} (${message})`;
  return sentence;
}

/** An error from the server with its contract code. */
export class ServerRefusal extends Error {
  override name = "ServerRefusal";
  constructor(
    readonly code: string,
    readonly serverMessage: string,
  ) {
    super(describeError(code, serverMessage));
  }
}

/** A sentence for anything thrown: a refusal, a failed join, a network failure. */
export function sentenceFor(error: unknown): string {
  if (error instanceof ServerRefusal) return error.message;
  const candidate = error as { code?: unknown; message?: unknown; name?: string };
  // A refused room join carries the contract's code as its message (PROTOCOL.md, room `land_chat`).
  if (typeof candidate?.message === "string" && isErrorCode(candidate.message)) return describeError(candidate.message);
  if (candidate?.name === "TypeError" || candidate?.name === "AbortError" || candidate?.name === "TimeoutError") {
    return "Cannot reach the server. Check your connection and try again.";
  }
  return typeof candidate?.message === "string" && candidate.message ? `Something went wrong: ${candidate.message}` : "Something went wrong. Try again.";
}
