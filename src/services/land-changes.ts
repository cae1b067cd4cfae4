import type { Presence } from "@colyseus/core";
import { chunkRoomId, CHUNK_SIZE } from "../protocol/room-messages.js";
import type { DatabasePool, DatabaseTransactionConnection } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { LandsRepository } from "./lands-repository.js";
import { toLandView, type LandView } from "./land-view.js";

/** The presence channel a chunk room listens on for committed land changes. */
export function landChangesChannel(cx: number, cy: number): string {
  return `land-changes:${chunkRoomId(cx, cy)}`;
}

/** The auction fields of a listed land, announced by the listing's writer right after a bid commits. */
export type ListingPatch = Pick<
  LandView,
  "x" | "y" | "listing_id" | "listing_type" | "price_bdt" | "min_bid_bdt" | "highest_bid_bdt" | "highest_bidder_id" | "auction_end_ms" | "updated_at_ms"
>;

export interface LandChangeMessage {
  land?: LandView;
  /** Several lands of the chunk changed together (a group-committed batch of purchases). */
  lands?: LandView[];
  /** Only the auction fields; applied to a land the room already shows. */
  listing?: ListingPatch;
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
  async function publishView(land: LandView, events?: LandChangeMessage["events"]): Promise<void> {
    try {
      const message: LandChangeMessage = { land, ...(events ? { events } : {}) };
      await deps.presence.publish(landChangesChannel(Math.floor(land.x / CHUNK_SIZE), Math.floor(land.y / CHUNK_SIZE)), message);
    } catch (error) {
      deps.logger.warn({ err: error, landId: land.land_id }, "could not announce a land change");
    }
  }

  /** Announces lands whose committed state the caller already knows: one message per chunk. */
  async function publishViews(lands: LandView[]): Promise<void> {
    const byChannel = new Map<string, LandView[]>();
    for (const land of lands) {
      const channel = landChangesChannel(Math.floor(land.x / CHUNK_SIZE), Math.floor(land.y / CHUNK_SIZE));
      const views = byChannel.get(channel);
      if (views) views.push(land);
      else byChannel.set(channel, [land]);
    }
    await Promise.all(
      [...byChannel].map(async ([channel, views]) => {
        try {
          const message: LandChangeMessage = { lands: views };
          await deps.presence.publish(channel, message);
        } catch (error) {
          deps.logger.warn({ err: error, channel, lands: views.length }, "could not announce land changes");
        }
      }),
    );
  }

  return {
    /** Announces a land whose committed state the caller already knows. */
    publishView,
    publishViews,
    /** Announces new auction fields of a listed land (see {@link ListingPatch}). */
    async publishListing(listing: ListingPatch): Promise<void> {
      try {
        const message: LandChangeMessage = { listing };
        await deps.presence.publish(landChangesChannel(Math.floor(listing.x / CHUNK_SIZE), Math.floor(listing.y / CHUNK_SIZE)), message);
      } catch (error) {
        deps.logger.warn({ err: error, listingId: listing.listing_id }, "could not announce an auction change");
      }
    },
    /** Re-reads a land after its change committed and announces it. */
    async publish(landId: string, events?: LandChangeMessage["events"], db: DatabasePool | DatabaseTransactionConnection = deps.pool): Promise<void> {
      try {
        const row = await deps.lands.findOverlayById(db, landId);
        if (row) await publishView(toLandView(row), events);
      } catch (error) {
        deps.logger.warn({ err: error, landId }, "could not announce a land change");
      }
    },
  };
}
export type LandChangePublisher = ReturnType<typeof createLandChangePublisher>;
