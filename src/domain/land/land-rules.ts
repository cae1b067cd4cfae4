/** Rules for what an owner may write on a land: its public message and its fence passcode. Pure. */

export const MAX_PUBLIC_MESSAGE_CHARACTERS = 280;

// C0/C1 control characters, and the Unicode bidirectional overrides and
// isolates that let a message display as something other than what it is.
const FORBIDDEN = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

export type PublicMessageCheck = { ok: true; message: string | null } | { ok: false; reason: string };

/**
 * Trims the text; `""` clears the message (null). At most 280 characters
 * (code points) after trimming; control characters are refused.
 */
export function checkPublicMessage(text: string): PublicMessageCheck {
  const trimmed = text.trim();
  if (FORBIDDEN.test(trimmed)) return { ok: false, reason: "text must not contain control characters" };
  const length = [...trimmed].length;
  if (length > MAX_PUBLIC_MESSAGE_CHARACTERS) {
    return { ok: false, reason: `text must be at most ${MAX_PUBLIC_MESSAGE_CHARACTERS} characters (it has ${length})` };
  }
  return { ok: true, message: trimmed.length === 0 ? null : trimmed };
}

export const PASSCODE_PATTERN = /^\d{4}$/;
