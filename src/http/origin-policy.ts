/**
 * Which browser origins may open a WebSocket or read an HTTP answer
 * cross-origin. A request without an Origin header comes from a program, not
 * a page, and is not a cross-site risk; a page's own origin (the client the
 * server serves at `/`) is always allowed; any other origin must be listed in
 * ALLOWED_ORIGINS.
 */
export function originAllowed(origin: string | null | undefined, host: string | null | undefined, allowedOrigins: readonly string[]): boolean {
  if (!origin) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return host !== null && host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
