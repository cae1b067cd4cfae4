/** Pure rules of the end-to-end encrypted land chat. See docs/CHAT.md. */
export { base64Length, strictBase64ByteLength } from "./base64.js";
export {
  CHAT_MESSAGE_TYPES,
  DEFAULT_PAGE_SIZE,
  ENCRYPTION_VERSION,
  HISTORY_ON_JOIN,
  IV_BYTES,
  MAX_CIPHERTEXT_BYTES,
  MAX_PAGE_SIZE,
  type ChatMessageType,
} from "./chat-limits.js";
export {
  FIRST_LOCKOUT_MS,
  LAND_ATTEMPT_WINDOW_MS,
  LOCKOUT_MEMORY_MS,
  MAX_LOCKOUT_MS,
  USER_ATTEMPT_MEMORY_MS,
  WRONG_ATTEMPTS_PER_LAND,
  WRONG_ATTEMPTS_PER_USER,
  lockoutDurationMs,
  locksOut,
  minutesLeft,
} from "./passcode-lockout.js";
export { FloodDetector } from "./flood-detector.js";
export { formatTimestampMicros, nextTimestampMicros } from "./message-clock.js";
