/**
 * The land chat's end-to-end encryption as a real client does it (PROTOCOL.md,
 * room `land_chat`; docs/CHAT.md): AES-256-GCM in WebCrypto, a fresh 96-bit
 * IV per message, the 128-bit tag appended to the ciphertext, both sent as
 * standard padded base64, `v: "1.0"`.
 *
 * Keys are the clients' business and travel out of band. Simulated players
 * who chat on the same land share one key, derived here from the run's seed
 * and the land id, as if they had agreed on it beforehand.
 */
// Sealing and opening are the protocol module's, shared with the browser client.
export { ENCRYPTION_VERSION, decryptText, encryptText } from "../src/protocol/chat-cipher.js";

export async function landChatKey(seed: number, landId: string): Promise<CryptoKey> {
  const material = new TextEncoder().encode(`vlw-loadtest-chat-key:${seed}:${landId}`);
  const raw = await crypto.subtle.digest("SHA-256", material);
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** Caches one key per land for the whole run (importing a key costs a digest and an import). */
export class ChatKeyring {
  private readonly keys = new Map<string, Promise<CryptoKey>>();
  constructor(private readonly seed: number) {}
  get(landId: string): Promise<CryptoKey> {
    let key = this.keys.get(landId);
    if (!key) {
      key = landChatKey(this.seed, landId);
      this.keys.set(landId, key);
    }
    return key;
  }
}
