/**
 * Room names, message types and payload schemas of the `chunk` and
 * `land_chat` rooms (PROTOCOL.md). The server, the load tester and the browser
 * client import this one module.
 */
import { z } from "zod";
import type { ErrorBody } from "./error-codes.js";

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
