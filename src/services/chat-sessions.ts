import { z } from "zod";
import { sql, type DatabasePool } from "../db/database.js";
import type { Logger } from "../logger.js";

/**
 * `chat_sessions`: one active session per land (a partial unique index), made
 * when the land's chat room first opens and kept across room lifetimes and
 * sales, with the number of people in the room now.
 */
export function createChatSessions(deps: { pool: DatabasePool; logger: Logger }) {
  const { pool, logger } = deps;

  return {
    /**
     * The land's active session, created if it has none. Safe to call from
     * racing processes: the partial unique index lets one insert win and the
     * others read it.
     * @returns undefined when the land does not exist.
     */
    async ensureActive(landId: string): Promise<string | undefined> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const existing = await pool.maybeOneFirst(sql.type(z.object({ session_id: z.string() }))`
          SELECT session_id FROM chat_sessions WHERE land_id = ${landId} AND status = 'active'`);
        if (existing) return existing;
        const inserted = await pool.maybeOneFirst(sql.type(z.object({ session_id: z.string() }))`
          INSERT INTO chat_sessions (land_id)
          SELECT land_id FROM lands WHERE land_id = ${landId}
          ON CONFLICT (land_id) WHERE status = 'active' DO NOTHING
          RETURNING session_id`);
        if (inserted) return inserted;
        const landExists = await pool.exists(sql.unsafe`SELECT 1 FROM lands WHERE land_id = ${landId}`);
        if (!landExists) return undefined;
      }
      throw new Error(`could not create or find the chat session of land ${landId}`);
    },

    /**
     * Keeps `participant_count` of one session equal to the room's count:
     * writes the latest value, one write at a time, skipping values that were
     * superseded while a write was in flight.
     */
    participantCounter(sessionId: string) {
      let wanted: number | undefined;
      let running: Promise<void> | undefined;
      const run = async () => {
        while (wanted !== undefined) {
          const count = wanted;
          wanted = undefined;
          try {
            await pool.query(sql.unsafe`
              UPDATE chat_sessions SET participant_count = ${count}, updated_at = clock_timestamp()
              WHERE session_id = ${sessionId}`);
          } catch (error) {
            logger.warn({ err: error, sessionId }, "could not update a chat session's participant count");
          }
        }
        running = undefined;
      };
      return {
        set(count: number): void {
          wanted = count;
          running ??= run();
        },
        /** Resolves once every value set so far is written (or given up). */
        async settled(): Promise<void> {
          while (running) await running;
        },
      };
    },
  };
}
export type ChatSessions = ReturnType<typeof createChatSessions>;
export type ParticipantCounter = ReturnType<ChatSessions["participantCounter"]>;
