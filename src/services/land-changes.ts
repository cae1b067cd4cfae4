import type { Presence } from "@colyseus/core";
import { chunkRoomId, CHUNK_SIZE } from "../protocol/room-messages.js";
import type { DatabasePool } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { LandsRepository } from "./lands-repository.js";
import { toLandView, type LandView } from "./land-view.js";

/** The presence channel a chunk room listens on for committed land changes. */
export function landChangesChannel(cx: number, cy: number): string {
  return `land-changes:${chunkRoomId(cx, cy)}`;
}

export interface LandChangeMessage {
  land: LandView;
  /** Room events to broadcast with the change (`sold`, `auction_extended`, …). */
  events?: Array<Record<string, unknown> & { type: string }>;
}

/**
 * Announces committed land changes to the chunk room that shows the land,
 * wherever it lives in the cluster: Redis pub/sub through the Colyseus
 * presence, never polling. The land is re-read after the commit, so the room
 * always receives the committed state.
 */
export function createLandChangePublisher(deps: { pool: DatabasePool; lands: LandsRepository; presence: Presence; logger: Logger }) {
  return {
    async publish(landId: string, events?: LandChangeMessage["events"]): Promise<void> {
      try {
        const row = await deps.lands.findOverlayById(deps.pool, landId);
        if (!row) return;
        const message: LandChangeMessage = { land: toLandView(row), ...(events ? { events } : {}) };
        await deps.presence.publish(
          landChangesChannel(Math.floor(row.x / CHUNK_SIZE), Math.floor(row.y / CHUNK_SIZE)),
          message,
        );
      } catch (error) {
        deps.logger.warn({ err: error, landId }, "could not announce a land change");
      }
    },
  };
}
export type LandChangePublisher = ReturnType<typeof createLandChangePublisher>;
