import type { ResultMessage } from "../../src/protocol/room-messages.js";
import type { resultCollector } from "./room-client.js";

/** What one sending of a request came back with: `OK`, an error code, or `NO_ANSWER` (none in time). */
export type AttemptOutcome = "OK" | "NO_ANSWER" | (string & {});

/** A request and everything its sendings came back with. */
export interface ResentRequest {
  type: string;
  payload: Record<string, unknown> & { req: string };
  attempts: AttemptOutcome[];
  /** The first answer that was not a try-again: `ok`, or a business refusal. */
  final?: ResultMessage;
}

/**
 * Answers a client should meet by sending the same `req` again
 * (PROTOCOL.md: the same `req` is acted on once and its answer replayed).
 */
const TRY_AGAIN = new Set(["UNAVAILABLE", "NO_ANSWER"]);

/**
 * Sends a request and, as a careful client does, sends the same `req` again
 * after a try-again answer (UNAVAILABLE) or no answer at all, until it gets a
 * final answer or `deadline` (epoch ms) passes. Every attempt is recorded, so
 * a test can tell an answered request from one that was silently dropped.
 */
export async function sendUntilAnswered(
  /** The room's collector, or a getter for clients that may rejoin (a new room each time). */
  results: ReturnType<typeof resultCollector> | (() => ReturnType<typeof resultCollector>),
  type: string,
  payload: Record<string, unknown> & { req: string },
  options: { answerTimeoutMs: number; retryDelayMs: number; deadline: number },
): Promise<ResentRequest> {
  const request: ResentRequest = { type, payload, attempts: [] };
  for (;;) {
    const collector = typeof results === "function" ? results() : results;
    const answer = await collector.send(type, payload, options.answerTimeoutMs).catch(() => undefined);
    const outcome: AttemptOutcome = answer === undefined ? "NO_ANSWER" : answer.ok ? "OK" : answer.error.code;
    request.attempts.push(outcome);
    if (answer && !TRY_AGAIN.has(outcome)) {
      request.final = answer;
      return request;
    }
    if (Date.now() + options.retryDelayMs > options.deadline) return request;
    await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
  }
}

/** True when the request's sendings met a try-again answer before the final one. */
export const wasRetried = (request: ResentRequest) => request.attempts.some((attempt) => TRY_AGAIN.has(attempt));
