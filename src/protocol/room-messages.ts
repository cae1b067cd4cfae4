/**
 * Room names, message types and payload schemas of the `chunk` and
 * `land_chat` rooms (PROTOCOL.md). The server, the load tester and the browser
 * client import this one module.
 */
import { z } from "zod";
import type { ErrorBody } from "./error-codes.js";
import {
  base64Length,
  CHAT_MESSAGE_TYPES,
  DEFAULT_PAGE_SIZE,
  ENCRYPTION_VERSION,
  IV_BYTES,
  MAX_CIPHERTEXT_BYTES,
  MAX_PAGE_SIZE,
  strictBase64ByteLength,
  type ChatMessageType,
} from "../domain/chat/index.js";

export const RoomName = {
  CHUNK: "chunk",
  LAND_CHAT: "land_chat",
} as const;
export type RoomName = (typeof RoomName)[keyof typeof RoomName];

export const CHUNK_SIZE = 32;
export const MAX_REQ_LENGTH = 64;
export const MAX_PUBLIC_MESSAGE_LENGTH = 280;

/** `req`: the client's request id and idempotency key. */
export const reqSchema = z.string().min(1).max(MAX_REQ_LENGTH);
const coordinate = z.number().int().min(0).max(1_048_575);
const money = z.number().int().positive().safe();
const uuid = z.uuid();

export const ChunkMessage = {
  BUY: "buy",
  FENCE: "fence",
  SET_MESSAGE: "set_message",
  LIST: "list",
  CANCEL_LISTING: "cancel_listing",
  BUY_LISTING: "buy_listing",
  BID: "bid",
} as const;
export type ChunkMessage = (typeof ChunkMessage)[keyof typeof ChunkMessage];

export const chunkMessageSchemas = {
  buy: z.strictObject({ req: reqSchema, x: coordinate, y: coordinate }),
  fence: z.strictObject({
    req: reqSchema,
    x: coordinate,
    y: coordinate,
    passcode: z.union([z.string().regex(/^\d{4}$/, "passcode must be exactly 4 digits"), z.null()]),
  }),
  set_message: z.strictObject({
    req: reqSchema,
    x: coordinate,
    y: coordinate,
    text: z.string().max(4 * MAX_PUBLIC_MESSAGE_LENGTH),
  }),
  list: z.strictObject({
    req: reqSchema,
    x: coordinate,
    y: coordinate,
    type: z.enum(["fixed_price", "buy_now", "auction"]),
    price_bdt: money,
    reserve_price_bdt: money.optional(),
    duration_s: z.number().int().min(10).max(30 * 24 * 3600).optional(),
    auto_extend: z.boolean().optional(),
    auto_extend_s: z.number().int().min(1).max(3600).optional(),
    buy_now_price_bdt: money.optional(),
  }),
  cancel_listing: z.strictObject({ req: reqSchema, listing_id: uuid }),
  buy_listing: z.strictObject({ req: reqSchema, listing_id: uuid }),
  bid: z.strictObject({ req: reqSchema, listing_id: uuid, amount_bdt: money }),
} as const satisfies Record<ChunkMessage, z.ZodType>;
export type ChunkMessagePayload<T extends ChunkMessage> = z.infer<(typeof chunkMessageSchemas)[T]>;

/**
 * A land in the `chunk` room's state (PROTOCOL.md, `Land`): owned or listed
 * lands only; empty string / 0 where none. `updated_at_ms` is the database's
 * time of the change, for measuring how long it took to arrive.
 */
export interface ChunkLandState {
  land_id: string;
  x: number;
  y: number;
  owner_id: string;
  owner_name: string;
  fenced: boolean;
  public_message: string;
  for_sale: boolean;
  listing_id: string;
  listing_type: string;
  price_bdt: number;
  min_bid_bdt: number;
  highest_bid_bdt: number;
  highest_bidder_id: string;
  auction_end_ms: number;
  updated_at_ms: number;
}

export const chunkJoinOptions = z.object({
  cx: z.number().int().min(0).max(32_767),
  cy: z.number().int().min(0).max(32_767),
});

/** Server → client: exactly one per message received. */
export type ResultMessage =
  | { req: string; ok: true; data: unknown }
  | { req: string; ok: false; error: ErrorBody };

export const ServerMessage = {
  RESULT: "result",
  EVENT: "event",
  MSG: "msg",
  HISTORY: "history",
} as const;

export function chunkRoomId(cx: number, cy: number): string {
  return `chunk_${cx}_${cy}`;
}

// ---------------------------------------------------------------------------
// Room `land_chat` (PROTOCOL.md; decisions in docs/CHAT.md).

/** The one chat room of a land, the same across every process. */
export function landChatRoomId(landId: string): string {
  return `land_chat_${landId}`;
}

/**
 * Land ids in the canonical lowercase form the server hands out: the room id
 * is derived from it, so `ABC…` and `abc…` must not make two rooms.
 */
export const landIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "land_id must be a lowercase UUID");

/** A land's passcode as a joining client gives it; anything else than 4 digits is simply wrong. */
export const passcodeGuessSchema = z.string().max(64);

export const landChatJoinOptions = z.object({
  land_id: landIdSchema,
  passcode: passcodeGuessSchema.nullish(),
});
export type LandChatJoinOptions = z.infer<typeof landChatJoinOptions>;

export const ChatMessage = {
  MSG: "msg",
  DELETE: "delete",
} as const;
export type ChatMessage = (typeof ChatMessage)[keyof typeof ChatMessage];

/** Strict base64 decoding to `min`–`max` bytes (canonical, padded, standard alphabet; base64url refused). */
function base64Bytes(field: string, min: number, max: number) {
  const exact = min === max;
  return z
    .string()
    .max(base64Length(max), exact ? `${field} must be base64 of exactly ${max} bytes` : `${field} must be at most ${max} bytes`)
    .superRefine((text, context) => {
      const bytes = strictBase64ByteLength(text);
      if (bytes === undefined) {
        context.addIssue({ code: "custom", message: `${field} must be standard padded base64 (RFC 4648 §4)` });
      } else if (bytes < min || bytes > max) {
        context.addIssue({
          code: "custom",
          message: exact ? `${field} must be base64 of exactly ${max} bytes (it has ${bytes})` : `${field} must decode to ${min}–${max} bytes (it has ${bytes})`,
        });
      }
    });
}

export const chatMessageSchemas = {
  msg: z.strictObject({
    req: reqSchema,
    ciphertext: base64Bytes("ciphertext", 1, MAX_CIPHERTEXT_BYTES),
    iv: base64Bytes("iv", IV_BYTES, IV_BYTES),
    v: z.literal(ENCRYPTION_VERSION),
    type: z.enum(CHAT_MESSAGE_TYPES),
  }),
  delete: z.strictObject({ req: reqSchema, message_id: z.uuid() }),
} as const satisfies Record<ChatMessage, z.ZodType>;
export type ChatMessagePayload<T extends ChatMessage> = z.infer<(typeof chatMessageSchemas)[T]>;

/** A stored chat message as clients see it (`msg`, `history`, `GET /lands/:land_id/messages`). Ciphertext only. */
export interface ChatMessageView {
  message_id: string;
  sender_id: string;
  sender_name: string;
  ciphertext: string;
  iv: string;
  v: string;
  type: ChatMessageType;
  /** ISO-8601 UTC with microseconds. */
  created_at: string;
}

/** Server → client messages of `land_chat` besides `result`: `msg`, `history` `{messages}` and `deleted` `{message_id}`. */
export const ChatServerMessage = {
  MSG: "msg",
  HISTORY: "history",
  DELETED: "deleted",
} as const;

/**
 * Sent to every client of a room when its server process stops (deploy,
 * scale-in); the connection then closes with {@link RECONNECT_CLOSE_CODE},
 * and the client should join again: another process will host the room.
 */
export const SERVER_RESTARTING_EVENT = { type: "server_restarting", reconnect: true } as const;
/** How long a stopping room waits after SERVER_RESTARTING_EVENT before closing its connections. */
export const SHUTDOWN_NOTICE_MS = 250;
/**
 * Close code telling a client to join again: Colyseus' SERVER_SHUTDOWN
 * (4001). Not MAY_TRY_RECONNECT (4010): on that code the SDK tries to resume
 * its session in the same room, which went away with its process, and then
 * reports 1006 ("room uptime too short") or, after its retries, 4003, hiding
 * why the connection closed and delaying the new join.
 */
export const RECONNECT_CLOSE_CODE = 4001;

/** Close code of a connection dropped for flooding a room far beyond its rate limit (chat and chunk rooms). */
export const FLOOD_CLOSE_CODE = 4429;
/** The chat's name for {@link FLOOD_CLOSE_CODE}. */
export const CHAT_FLOOD_CLOSE_CODE = FLOOD_CLOSE_CODE;
/** Close code of a member whose access ended (the land was sold or fenced anew). */
export const CHAT_ACCESS_REVOKED_CLOSE_CODE = 4403;
/** Close code of a chat member whose token expired: log in again and rejoin. */
export const CHAT_TOKEN_EXPIRED_CLOSE_CODE = 4401;

/**
 * `GET /lands/:land_id/messages?before=&limit=` (the chat's one HTTP route).
 * `before` is the `message_id` of a message of this land (the page then ends
 * just before it) or an ISO-8601 time (messages created strictly earlier);
 * `limit` 1–100, 50 by default. The passcode of a fenced land travels in the
 * `X-Land-Passcode` header, never in the URL.
 */
export const chatHistoryQuery = z.strictObject({
  before: z
    .union([
      z.uuid(),
      z.iso.datetime({ offset: true, message: "before must be a message_id or an ISO-8601 time" }),
    ])
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});
export type ChatHistoryQuery = z.infer<typeof chatHistoryQuery>;
export const LAND_PASSCODE_HEADER = "x-land-passcode";
