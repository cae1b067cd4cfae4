import { randomUUID } from "node:crypto";
import { z } from "zod";
import { sql, sqlState, type DatabasePool } from "../db/database.js";
import { forbidden, invalidInput, notFound, unavailable } from "../errors.js";
import type { Logger } from "../logger.js";
import { CHAT_MESSAGE_TYPES, formatTimestampMicros, nextTimestampMicros, type ChatMessageType } from "../domain/chat/index.js";
import type { ChatHistoryQuery, ChatMessageView } from "../protocol/room-messages.js";
import type { Metrics } from "./metrics.js";

/** A message the room accepted, to be stored before anyone sees it. */
export interface NewChatMessage {
  sessionId: string;
  landId: string;
  senderId: string;
  senderName: string;
  ciphertext: string;
  iv: string;
  v: string;
  type: ChatMessageType;
  req: string;
}

/** The position of a message in a land's history: (created_at, message_id), newest last. */
export interface HistoryKey {
  createdAt: string;
  messageId: string;
}

export interface BatchSettings {
  /** Most rows in one INSERT. */
  maxRows: number;
  /** How long the first message of an idle batch waits for company. */
  lingerMs: number;
  /** INSERTs in flight at once (each holds a pool connection). */
  maxInFlight: number;
  /** Accepted but uncommitted messages beyond which new ones are refused (UNAVAILABLE). */
  maxBacklog: number;
}

export const DEFAULT_BATCH_SETTINGS: BatchSettings = { maxRows: 100, lingerMs: 2, maxInFlight: 2, maxBacklog: 10_000 };

const messageRow = z.object({
  message_id: z.string(),
  sender_id: z.string(),
  sender_name: z.string(),
  ciphertext: z.string(),
  iv: z.string(),
  v: z.string(),
  type: z.enum(CHAT_MESSAGE_TYPES),
  created_at: z.string(),
});

/** `created_at` exactly as stored (microseconds, UTC), so the text doubles as a keyset cursor. */
const createdAtText = sql.fragment`to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface Pending {
  message: NewChatMessage;
  view: ChatMessageView;
  resolve: (view: ChatMessageView) => void;
  reject: (error: unknown) => void;
}

/**
 * The land chat's messages in the partitioned `messages` table: ciphertext
 * and IV exactly as the client sent them, never a key.
 *
 * Writes are batched: accepted messages gather for at most `lingerMs` (or
 * until `maxRows`), then go in one multi-row `INSERT … SELECT FROM unnest(…)`;
 * while `maxInFlight` INSERTs are running, new messages gather for the next
 * one, so a busier chat makes bigger batches rather than a longer queue. Each
 * `append` resolves only after the COMMIT of its batch (durable: PostgreSQL's
 * synchronous commit), and batches resolve in the order they were formed, so
 * a room that broadcasts on resolution broadcasts in acceptance order. A
 * failed batch rejects each of its messages with UNAVAILABLE.
 */
export function createChatMessageStore(deps: {
  pool: DatabasePool;
  logger: Logger;
  metrics: Metrics;
  batch?: Partial<BatchSettings>;
}) {
  const { pool, logger, metrics } = deps;
  const settings: BatchSettings = { ...DEFAULT_BATCH_SETTINGS, ...deps.batch };
  let lastMicros = 0;
  let queue: Pending[] = [];
  let inFlight = 0;
  let inFlightRows = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Settles when every batch formed so far has delivered its outcome. */
  let delivered: Promise<void> = Promise.resolve();

  const backlog = () => queue.length + inFlightRows;
  const reportBacklog = () => metrics.chatPersistBacklog.set(backlog());

  async function insertBatch(batch: Pending[]): Promise<void> {
    const rows = batch.map((item) => item.message);
    await pool.query(sql.unsafe`
      INSERT INTO messages (message_id, session_id, land_id, sender_id, encrypted_payload, encryption_version, iv,
                            message_type, client_req, created_at)
      SELECT * FROM unnest(
        ${sql.array(batch.map((item) => item.view.message_id), "uuid")},
        ${sql.array(rows.map((row) => row.sessionId), "uuid")},
        ${sql.array(rows.map((row) => row.landId), "uuid")},
        ${sql.array(rows.map((row) => row.senderId), "uuid")},
        ${sql.array(rows.map((row) => row.ciphertext), "text")},
        ${sql.array(rows.map((row) => row.v), "text")},
        ${sql.array(rows.map((row) => row.iv), "text")},
        ${sql.array(rows.map((row) => row.type), "text")},
        ${sql.array(rows.map((row) => row.req), "text")},
        ${sql.array(batch.map((item) => item.view.created_at), "timestamptz")})`);
  }

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const batch = queue.slice(0, settings.maxRows);
    queue = queue.slice(batch.length);
    if (batch.length === 0) return;
    inFlight++;
    inFlightRows += batch.length;
    const started = performance.now();
    const inserted = insertBatch(batch).then(
      () => undefined,
      (error: unknown) => error ?? new Error("insert failed"),
    );
    const previous = delivered;
    delivered = (async () => {
      const error = await inserted;
      inFlight--;
      inFlightRows -= batch.length;
      metrics.chatBatchRows.observe(batch.length);
      logger.debug({ rows: batch.length, ms: Math.round(performance.now() - started), ok: error === undefined }, "chat batch written");
      schedule(true);
      // Keep acceptance order: an earlier batch delivers first even if this one committed sooner.
      await previous;
      if (error === undefined) {
        for (const item of batch) item.resolve(item.view);
      } else {
        logger.error({ error: loggableError(error), rows: batch.length }, "chat messages could not be stored");
        const failure = unavailable("The message could not be stored; send it again.");
        for (const item of batch) item.reject(failure);
      }
      reportBacklog();
    })();
    schedule(false);
  }

  /** Starts an INSERT when one may run: at once for a full batch or for messages that already waited, else after the linger. */
  function schedule(waited: boolean): void {
    if (queue.length === 0 || inFlight >= settings.maxInFlight) return;
    if (waited || queue.length >= settings.maxRows) {
      flush();
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      if (inFlight < settings.maxInFlight) flush();
    }, settings.lingerMs);
  }

  async function fetchHistory(landId: string, limit: number, before?: HistoryKey | { time: string }): Promise<ChatMessageView[]> {
    const cursor =
      before === undefined
        ? sql.fragment``
        : "time" in before
          ? sql.fragment`AND m.created_at < ${before.time}::timestamptz`
          : sql.fragment`AND (m.created_at, m.message_id) < (${before.createdAt}::timestamptz, ${before.messageId}::uuid)`;
    const rows = await pool.any(sql.type(messageRow)`
      SELECT m.message_id, m.sender_id, u.username AS sender_name, m.encrypted_payload AS ciphertext, m.iv,
             m.encryption_version AS v, m.message_type AS type, ${createdAtText} AS created_at
      FROM messages m JOIN users u ON u.user_id = m.sender_id
      WHERE m.land_id = ${landId} AND m.deleted_at IS NULL ${cursor}
      ORDER BY m.created_at DESC, m.message_id DESC
      LIMIT ${limit}`);
    return [...rows].reverse();
  }

  return {
    settings,
    /** Messages accepted and not yet committed, in this process. */
    backlog,

    /**
     * Stores one message in the next batch.
     * @returns the stored message (its id and `created_at` assigned here), once committed.
     * @throws AppError UNAVAILABLE when the batch fails or the backlog is full.
     */
    append(message: NewChatMessage): Promise<ChatMessageView> {
      if (backlog() >= settings.maxBacklog) {
        return Promise.reject(unavailable("The chat is overloaded; send the message again in a moment."));
      }
      lastMicros = nextTimestampMicros(lastMicros, Date.now());
      const view: ChatMessageView = {
        message_id: randomUUID(),
        sender_id: message.senderId,
        sender_name: message.senderName,
        ciphertext: message.ciphertext,
        iv: message.iv,
        v: message.v,
        type: message.type,
        created_at: formatTimestampMicros(lastMicros),
      };
      return new Promise<ChatMessageView>((resolve, reject) => {
        queue.push({ message, view, resolve, reject });
        reportBacklog();
        schedule(false);
      });
    },

    /** The newest `limit` messages of a land that are not deleted (older than `before` if given), oldest first. */
    recent(landId: string, limit: number, before?: HistoryKey): Promise<ChatMessageView[]> {
      return fetchHistory(landId, limit, before);
    },

    /**
     * A page of `GET /lands/:land_id/messages`: the newest `limit` messages
     * before `before` (a message_id of this land, or an ISO time), oldest
     * first, and the `before` of the next older page (null at the start).
     * @throws AppError INVALID_INPUT when `before` names no message of this land.
     */
    async page(landId: string, query: ChatHistoryQuery): Promise<{ messages: ChatMessageView[]; next_before: string | null }> {
      let before: HistoryKey | { time: string } | undefined;
      if (query.before !== undefined && z.uuid().safeParse(query.before).success) {
        const createdAt = await pool.maybeOneFirst(sql.type(z.object({ created_at: z.string() }))`
          SELECT ${createdAtText} AS created_at FROM messages m
          WHERE m.message_id = ${query.before} AND m.land_id = ${landId}`);
        if (!createdAt) throw invalidInput("before is not a message of this land.");
        before = { createdAt, messageId: query.before };
      } else if (query.before !== undefined) {
        before = { time: query.before };
      }
      const rows = await fetchHistory(landId, query.limit + 1, before);
      const hasOlder = rows.length > query.limit;
      const messages = hasOlder ? rows.slice(1) : rows;
      return { messages, next_before: hasOlder ? messages[0]!.message_id : null };
    },

    /**
     * Marks a message deleted: its sender or the land's current owner may.
     * @throws AppError NOT_FOUND (no such message on this land, or already deleted), FORBIDDEN (someone else's).
     */
    async delete(landId: string, messageId: string, actorId: string): Promise<{ message_id: string }> {
      const deleted = await pool.maybeOneFirst(sql.type(z.object({ message_id: z.string() }))`
        UPDATE messages m SET deleted_at = clock_timestamp()
        WHERE m.message_id = ${messageId} AND m.land_id = ${landId} AND m.deleted_at IS NULL
          AND (m.sender_id = ${actorId}
               OR EXISTS (SELECT 1 FROM lands l WHERE l.land_id = ${landId} AND l.owner_id = ${actorId}))
        RETURNING m.message_id`);
      if (deleted) return { message_id: deleted };
      const exists = await pool.exists(sql.unsafe`
        SELECT 1 FROM messages WHERE message_id = ${messageId} AND land_id = ${landId} AND deleted_at IS NULL`);
      if (!exists) throw notFound("No such message in this land's chat.");
      throw forbidden("Only its sender or the land's owner may delete a message.");
    },

    /** Writes whatever is queued and waits for every batch (graceful shutdown). */
    async drain(): Promise<void> {
      while (queue.length > 0 || inFlight > 0) {
        if (inFlight < settings.maxInFlight && queue.length > 0) flush();
        await delivered;
      }
    },
  };
}
export type ChatMessageStore = ReturnType<typeof createChatMessageStore>;


/**
 * An error as it may be logged from chat code: name, message and SQLSTATE
 * only. Database errors carry the statement's values and the failing row
 * (`detail`), which here would be ciphertext and IVs.
 */
export function loggableError(error: unknown): { name: string; message: string; sqlState?: string } {
  if (!(error instanceof Error)) return { name: typeof error, message: "non-Error thrown" };
  const state = sqlState(error);
  return { name: error.name, message: error.message.slice(0, 300), ...(state ? { sqlState: state } : {}) };
}
