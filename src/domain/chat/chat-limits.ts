/** The numbers of the land chat's wire contract (PROTOCOL.md, room `land_chat`) and of its policies. Pure. */

/** Largest ciphertext, in decoded bytes (16 KiB). AES-GCM output includes its 16-byte tag. */
export const MAX_CIPHERTEXT_BYTES = 16 * 1024;
/** AES-GCM's recommended 96-bit IV. */
export const IV_BYTES = 12;
/** The only encryption version of the contract: AES-256-GCM, 12-byte IV, 128-bit tag, done by the clients. */
export const ENCRYPTION_VERSION = "1.0";
export const CHAT_MESSAGE_TYPES = ["text", "image", "attachment"] as const;
export type ChatMessageType = (typeof CHAT_MESSAGE_TYPES)[number];

/** Messages sent with `history` on join. */
export const HISTORY_ON_JOIN = 50;
/** `GET /lands/:land_id/messages?limit=`: 1–100, 50 by default. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

