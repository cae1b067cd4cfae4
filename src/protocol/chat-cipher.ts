/**
 * The land chat's end-to-end encryption (docs/CHAT.md, `v: "1.0"`):
 * AES-256-GCM through WebCrypto, a fresh 96-bit IV per message, the 128-bit
 * tag appended to the ciphertext, both sent as standard padded base64. Runs
 * unchanged in browsers and in Node.js (global `crypto`, `btoa`, `atob`), so
 * the browser client and any Node client seal messages the same way. The
 * server never calls this: it only relays what comes out of it.
 */
import { ENCRYPTION_VERSION, IV_BYTES } from "../domain/chat/index.js";
import { base64ToBytes, bytesToBase64 } from "../domain/base64.js";

export { ENCRYPTION_VERSION, base64ToBytes, bytesToBase64 };

/** Raw AES-256 key length in bytes. */
export const CHAT_KEY_BYTES = 32;

/** URL-safe, unpadded base64: the form a key takes inside a link's fragment. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @throws Error if `text` is not the base64url of exactly {@link CHAT_KEY_BYTES} bytes. */
export function base64UrlToKeyBytes(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) throw new Error("a chat key is 43 characters of base64url (32 bytes)");
  return base64ToBytes(text.replace(/-/g, "+").replace(/_/g, "/") + "=");
}

/** A new random chat key, as the bytes to share and the key to use. */
export async function generateChatKey(): Promise<{ raw: Uint8Array<ArrayBuffer>; key: CryptoKey }> {
  const raw = crypto.getRandomValues(new Uint8Array(CHAT_KEY_BYTES));
  return { raw, key: await importChatKey(raw) };
}

export function importChatKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** Seals a text for the `msg` message: `{ciphertext, iv}` in standard base64. */
export async function encryptText(key: CryptoKey, text: string): Promise<{ ciphertext: string; iv: string }> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(text));
  return { ciphertext: bytesToBase64(new Uint8Array(sealed)), iv: bytesToBase64(iv) };
}

/** @throws when the tag does not verify (another key, or altered bytes). */
export async function decryptText(key: CryptoKey, ciphertext: string, iv: string): Promise<string> {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(iv) }, key, base64ToBytes(ciphertext));
  return new TextDecoder().decode(plain);
}
