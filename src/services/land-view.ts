import { minimumNextBid } from "../domain/auction/bid-increments.js";
import type { LandOverlayRow } from "./lands-repository.js";
import type { ChunkLandState } from "../protocol/room-messages.js";

/** A land as the `chunk` room state shows it; the shape is the protocol's. */
export type LandView = ChunkLandState;

export function toLandView(row: LandOverlayRow): LandView {
  const isAuction = row.listing_type === "auction";
  const bidCount = row.bid_count ?? 0;
  const startingPrice = row.listing_price_bdt ?? 0;
  return {
    land_id: row.land_id,
    x: row.x,
    y: row.y,
    owner_id: row.owner_id,
    owner_name: row.owner_name,
    fenced: row.fenced,
    public_message: row.public_message ?? "",
    for_sale: row.listing_id !== null,
    listing_id: row.listing_id ?? "",
    listing_type: row.listing_type ?? "",
    price_bdt: row.listing_id === null ? 0 : isAuction ? (row.current_price_bdt ?? startingPrice) : startingPrice,
    min_bid_bdt: isAuction ? minimumNextBid(startingPrice, row.current_price_bdt, bidCount) : 0,
    highest_bid_bdt: isAuction && bidCount > 0 ? (row.current_price_bdt ?? 0) : 0,
    highest_bidder_id: isAuction && bidCount > 0 ? (row.leading_bidder_id ?? "") : "",
    auction_end_ms: isAuction && row.auction_end_time ? Date.parse(row.auction_end_time) : 0,
    updated_at_ms: Date.parse(row.updated_at),
  };
}

/** A land view with every field at its "none" value. */
export function emptyLandView(): LandView {
  return {
    land_id: "",
    x: 0,
    y: 0,
    owner_id: "",
    owner_name: "",
    fenced: false,
    public_message: "",
    for_sale: false,
    listing_id: "",
    listing_type: "",
    price_bdt: 0,
    min_bid_bdt: 0,
    highest_bid_bdt: 0,
    highest_bidder_id: "",
    auction_end_ms: 0,
    updated_at_ms: 0,
  };
}
