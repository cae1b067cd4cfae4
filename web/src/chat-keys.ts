/**
 * Where a land chat's key lives: generated in this browser, shared only
 * inside the link's fragment (`#land=x,y&key=…`), which browsers never send
 * to a server, and remembered in this browser per land so the chat opens
 * again without the link.
 */
import { base64UrlToKeyBytes, bytesToBase64Url, generateChatKey, importChatKey } from "../../src/protocol/chat-cipher.js";

const STORAGE_PREFIX = "vlw.chat-key.";

export interface ChatKey {
  key: CryptoKey;
  /** The key as it appears in a link. */
  encoded: string;
}

export interface FragmentLink {
  x: number;
  y: number;
  key: string | undefined;
}

/** Reads `#land=x,y&key=…`; anything else is ignored. */
export function parseFragment(hash: string): FragmentLink | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const match = /^(\d{1,7}),(\d{1,7})$/.exec(params.get("land") ?? "");
  if (!match) return undefined;
  const key = params.get("key") ?? undefined;
  return { x: Number(match[1]), y: Number(match[2]), key: key && /^[A-Za-z0-9_-]{43}$/.test(key) ? key : undefined };
}

export function fragmentFor(x: number, y: number, key?: string): string {
  return key ? `#land=${x},${y}&key=${key}` : `#land=${x},${y}`;
}

export function rememberKey(landId: string, encoded: string): void {
  localStorage.setItem(STORAGE_PREFIX + landId, encoded);
}

/** The key from the link if it has one, else the one remembered for this land, else a new one. */
export async function chatKeyFor(landId: string, fromLink: string | undefined): Promise<ChatKey & { created: boolean }> {
  const known = fromLink ?? localStorage.getItem(STORAGE_PREFIX + landId) ?? undefined;
  if (known) {
    try {
      const key = await importChatKey(base64UrlToKeyBytes(known));
      rememberKey(landId, known);
      return { key, encoded: known, created: false };
    } catch {
      // A damaged key: make a new one rather than fail to open the chat.
    }
  }
  const { raw, key } = await generateChatKey();
  const encoded = bytesToBase64Url(raw);
  rememberKey(landId, encoded);
  return { key, encoded, created: true };
}
