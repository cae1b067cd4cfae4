/** The JSON API over fetch (PROTOCOL.md, "HTTP"), same origin as the page. */
import { ServerRefusal } from "./error-text.js";

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT";
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
}

/**
 * Calls the API and returns the parsed body.
 * @throws ServerRefusal with the contract's code for every 4xx/5xx answer.
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(path, { method: options.method ?? "GET", headers, body, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ServerRefusal(error?.code ?? (response.status >= 500 ? "UNAVAILABLE" : "INVALID_INPUT"), error?.message ?? `HTTP ${response.status}`);
  }
  return parsed as T;
}
