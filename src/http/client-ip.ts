import type { IncomingMessage } from "node:http";

/**
 * The address rate limits are keyed on. `X-Forwarded-For` is anyone's to
 * write, so it is read only when a trusted proxy in front of us overwrites it.
 */
export function clientIp(request: Pick<IncomingMessage, "headers" | "socket">, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    if (first) return first;
  }
  return request.socket.remoteAddress ?? "unknown";
}
