/**
 * Which outcomes of a run are part of play and which are defects: the one
 * place `--slo-no-unexpected-errors` reads. Pure.
 *
 * A business code is the server refusing a move that a real player could
 * make too: many players act at once on a shared world, each from its own
 * slightly stale view (a land bought a moment ago, an auction just outbid or
 * closed, a balance spent elsewhere), so these answers are the contract
 * working. Every other code means something went wrong, and each says why
 * below. Typed over every contract code, so a code added to the contract
 * without a decision here does not compile.
 */
import { ErrorCode } from "../src/protocol/error-codes.js";
import { PseudoCode } from "./metrics-recorder.js";

const BUSINESS = "business";

/** Every result code of a room action: the contract's codes and the tester's own. */
export const RESULT_CODE_CLASSES: Record<ErrorCode | Exclude<(typeof PseudoCode)[keyof typeof PseudoCode], "ok">, typeof BUSINESS | { unexpected: string }> = {
  [ErrorCode.INSUFFICIENT_FUNDS]: BUSINESS,
  [ErrorCode.ALREADY_OWNED]: BUSINESS,
  [ErrorCode.NOT_OWNER]: BUSINESS,
  [ErrorCode.NOT_FOR_SALE]: BUSINESS,
  [ErrorCode.LISTING_CLOSED]: BUSINESS,
  [ErrorCode.BID_TOO_LOW]: BUSINESS,
  [ErrorCode.OWN_LISTING]: BUSINESS,
  [ErrorCode.WRONG_PASSCODE]: BUSINESS,
  [ErrorCode.LOCKED_OUT]: BUSINESS,
  // A land that already has an active listing, an auction that got a bid just before its cancellation.
  [ErrorCode.CONFLICT]: BUSINESS,
  // A listing or land that is gone; also how a join is refused in normal play (as WRONG_PASSCODE and LOCKED_OUT).
  [ErrorCode.NOT_FOUND]: BUSINESS,
  [ErrorCode.UNAUTHENTICATED]: {
    unexpected: "every player holds a fresh token (JWT_TTL_S is a day by default) for an account that exists: being refused as a stranger is a defect",
  },
  [ErrorCode.FORBIDDEN]: {
    unexpected: "players only do what the contract lets anyone or an owner do (owners' moves come as NOT_OWNER when the land changed hands): a plain refusal is a defect",
  },
  [ErrorCode.INVALID_INPUT]: {
    unexpected: "the tester only sends well-formed messages, so the server and the tester disagree about the contract",
  },
  [ErrorCode.RATE_LIMITED]: {
    unexpected: "players act at a human pace (a think time of seconds); limits that refuse that pace refuse real players too",
  },
  [ErrorCode.UNAVAILABLE]: { unexpected: "a dependency of the server (PostgreSQL, Redis, the queue) was down or overloaded" },
  [ErrorCode.INTERNAL]: { unexpected: "the server failed: a bug or an unhandled failure" },
  [PseudoCode.TIMEOUT]: { unexpected: "no result within --action-timeout: the server lost the action or sat on it" },
  [PseudoCode.CONNECTION_CLOSED]: { unexpected: "the room's connection closed before the result came: the player was dropped mid-action" },
};

/**
 * Outcomes of preparing the accounts (`http.login`, `http.register`,
 * `http.admin_credit`), before the clock starts: a 429 there is waited out
 * as documented, and any other failure stops the run before it begins.
 */
const ACCOUNT_PREPARATION = new Set(["http.login", "http.register", "http.admin_credit"]);

/** Why a result is unexpected, or null when it is part of play. */
export function unexpectedReason(type: string, code: string): string | null {
  if (code === PseudoCode.OK || ACCOUNT_PREPARATION.has(type)) return null;
  if (type.startsWith("http.")) {
    // Statuses of the players' own requests (terrain, /me), or "error: …" when the request itself failed.
    const status = Number(code);
    if (Number.isInteger(status) && status < 400) return null;
    return "the players only ask for what exists with a valid token, so an HTTP error or a failed request is a defect";
  }
  if (type === "player.loop_crashed") return "a simulated player's loop threw: a defect of the tester, or an answer it could not read";
  const known = RESULT_CODE_CLASSES[code as keyof typeof RESULT_CODE_CLASSES];
  if (known === BUSINESS) return null;
  return known?.unexpected ?? "not a code of the contract";
}

/** The results that are not part of play: type → code → count. */
export function unexpectedResults(results: Readonly<Record<string, Readonly<Record<string, number>>>>): Record<string, Record<string, number>> {
  const unexpected: Record<string, Record<string, number>> = {};
  for (const [type, byCode] of Object.entries(results)) {
    for (const [code, count] of Object.entries(byCode)) {
      if (count > 0 && unexpectedReason(type, code) !== null) (unexpected[type] ??= {})[code] = count;
    }
  }
  return unexpected;
}
