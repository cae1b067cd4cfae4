import { invalidInput } from "../errors.js";

/**
 * Opaque keyset cursors: the (created_at, id) of the last row served, so a
 * page never skips or repeats rows inserted meanwhile.
 */
export interface KeysetCursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");
}

/** A page request: at most `limit` items, after the `cursor` of the previous page. */
export interface PageInput {
  limit: number;
  cursor?: string;
}

/** @throws AppError INVALID_INPUT for a cursor this server did not make. */
export function decodeCursor(text: string | undefined): KeysetCursor | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === "string" &&
      typeof parsed[1] === "string" &&
      !Number.isNaN(Date.parse(parsed[0])) &&
      /^[0-9a-f-]{36}$/i.test(parsed[1])
    ) {
      return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the typed error
  }
  throw invalidInput("cursor is not valid; pass back the next_cursor of a previous page.");
}

/** Splits a page fetched with limit + 1 rows into the page and the next cursor. */
export function paginate<T>(rows: readonly T[], limit: number, keyOf: (row: T) => KeysetCursor) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null;
  return { page, nextCursor };
}
