/**
 * Auction rules, pure: what a listing request may contain, how a proxy bid
 * changes an auction, when a bid extends it (soft close), and what a
 * settlement pays. No I/O and no clock: the caller passes `nowMs`.
 *
 * Proxy bidding, as buyers know it from eBay: a bid is the bidder's maximum;
 * the visible price rises only by what is needed to lead (one increment above
 * the runner-up's maximum, never above the leader's own maximum); the amount
 * held on the leader is their maximum. Equal maxima: the earlier bid leads.
 */
import { bidIncrement, minimumNextBid } from "./bid-increments.js";

export const LISTING_TYPES = ["fixed_price", "buy_now", "auction"] as const;
export type ListingType = (typeof LISTING_TYPES)[number];

export const MIN_AUCTION_SECONDS = 10;
export const MAX_AUCTION_SECONDS = 30 * 24 * 3600;
export const DEFAULT_AUTO_EXTEND_SECONDS = 60;

export interface ListingRequest {
  type: ListingType;
  price_bdt: number;
  reserve_price_bdt?: number | undefined;
  duration_s?: number | undefined;
  auto_extend?: boolean | undefined;
  auto_extend_s?: number | undefined;
  buy_now_price_bdt?: number | undefined;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ListingTerms {
  type: ListingType;
  priceBdt: number;
  reservePriceBdt: number | null;
  buyNowPriceBdt: number | null;
  durationS: number | null;
  autoExtend: boolean;
  autoExtendS: number | null;
}

/** Checks that a `list` request is coherent for its type. */
export function checkListingRequest(request: ListingRequest): Checked<ListingTerms> {
  if (request.type !== "auction") {
    const auctionOnly = (["reserve_price_bdt", "duration_s", "auto_extend", "auto_extend_s", "buy_now_price_bdt"] as const).filter(
      (field) => request[field] !== undefined,
    );
    if (auctionOnly.length > 0) return { ok: false, reason: `${auctionOnly.join(", ")} only apply to auctions` };
    return {
      ok: true,
      value: { type: request.type, priceBdt: request.price_bdt, reservePriceBdt: null, buyNowPriceBdt: null, durationS: null, autoExtend: false, autoExtendS: null },
    };
  }
  if (request.duration_s === undefined) return { ok: false, reason: "an auction needs duration_s" };
  if (request.duration_s < MIN_AUCTION_SECONDS || request.duration_s > MAX_AUCTION_SECONDS) {
    return { ok: false, reason: `duration_s must be between ${MIN_AUCTION_SECONDS} seconds and 30 days` };
  }
  if (request.reserve_price_bdt !== undefined && request.reserve_price_bdt < request.price_bdt) {
    return { ok: false, reason: "reserve_price_bdt must be at least the starting price" };
  }
  if (request.buy_now_price_bdt !== undefined && request.buy_now_price_bdt <= request.price_bdt) {
    return { ok: false, reason: "buy_now_price_bdt must be above the starting price" };
  }
  if (request.auto_extend_s !== undefined && request.auto_extend === false) {
    return { ok: false, reason: "auto_extend_s needs auto_extend" };
  }
  const autoExtend = request.auto_extend ?? false;
  return {
    ok: true,
    value: {
      type: "auction",
      priceBdt: request.price_bdt,
      reservePriceBdt: request.reserve_price_bdt ?? null,
      buyNowPriceBdt: request.buy_now_price_bdt ?? null,
      durationS: request.duration_s,
      autoExtend,
      autoExtendS: autoExtend ? (request.auto_extend_s ?? DEFAULT_AUTO_EXTEND_SECONDS) : null,
    },
  };
}

export interface AuctionState {
  sellerId: string;
  startPriceBdt: number;
  /** The visible price; null before the first bid. */
  currentPriceBdt: number | null;
  bidCount: number;
  leader: { bidderId: string; maximumBdt: number } | null;
  endMs: number;
  autoExtend: boolean;
  autoExtendS: number | null;
  /** Private to the seller; the visible price jumps to it once a maximum reaches it. */
  reservePriceBdt?: number | null;
}

export type BidDecision =
  | { kind: "rejected"; code: "BID_TOO_LOW" | "OWN_LISTING" | "LISTING_CLOSED"; message: string }
  | {
      kind: "accepted";
      /** `leads`: the bidder now leads; `raised_own_maximum`: the leader raised their maximum; `outbid_at_once`: an earlier, higher maximum still leads. */
      outcome: "leads" | "raised_own_maximum" | "outbid_at_once";
      priceBdt: number;
      /** How much more to hold on the bidder (their new maximum, or the difference when raising). */
      holdBdt: number;
      /** The previous leader, whose hold is released and who is told they were outbid. */
      displaced: { bidderId: string; maximumBdt: number } | null;
      endMs: number;
      extended: boolean;
    };

/** The lowest acceptable next bid of an auction in this state. */
export function minimumBid(state: AuctionState): number {
  return minimumNextBid(state.startPriceBdt, state.currentPriceBdt, state.bidCount);
}

/** Decides what a bid of `amountBdt` by `bidderId` does to the auction at `nowMs`. */
export function decideBid(state: AuctionState, bidderId: string, amountBdt: number, nowMs: number): BidDecision {
  const decision = decideBidIgnoringReserve(state, bidderId, amountBdt, nowMs);
  if (decision.kind === "rejected") return decision;
  // As on eBay: once the leading maximum reaches the reserve, the visible price
  // is at least the reserve, so "reserve met" and the price never disagree.
  const reserve = state.reservePriceBdt ?? null;
  const leaderMaximum =
    decision.outcome === "outbid_at_once"
      ? state.leader!.maximumBdt
      : decision.outcome === "raised_own_maximum"
        ? state.leader!.maximumBdt + decision.holdBdt
        : amountBdt;
  if (reserve !== null && leaderMaximum >= reserve && decision.priceBdt < reserve) {
    return { ...decision, priceBdt: reserve };
  }
  return decision;
}

function decideBidIgnoringReserve(state: AuctionState, bidderId: string, amountBdt: number, nowMs: number): BidDecision {
  if (nowMs >= state.endMs) return { kind: "rejected", code: "LISTING_CLOSED", message: "This auction has ended." };
  if (bidderId === state.sellerId) return { kind: "rejected", code: "OWN_LISTING", message: "You cannot bid on your own listing." };

  const extension = softClose(state, nowMs);
  const leader = state.leader;
  if (leader && leader.bidderId === bidderId) {
    if (amountBdt <= leader.maximumBdt) {
      return { kind: "rejected", code: "BID_TOO_LOW", message: `You already lead with a higher maximum; raise it above your current one.` };
    }
    return {
      kind: "accepted",
      outcome: "raised_own_maximum",
      priceBdt: state.currentPriceBdt ?? state.startPriceBdt,
      holdBdt: amountBdt - leader.maximumBdt,
      displaced: null,
      ...extension,
    };
  }
  const minimum = minimumBid(state);
  if (amountBdt < minimum) {
    return { kind: "rejected", code: "BID_TOO_LOW", message: `The lowest acceptable bid is ${minimum} BDT.` };
  }
  if (!leader) {
    return { kind: "accepted", outcome: "leads", priceBdt: state.startPriceBdt, holdBdt: amountBdt, displaced: null, ...extension };
  }
  if (amountBdt > leader.maximumBdt) {
    return {
      kind: "accepted",
      outcome: "leads",
      priceBdt: Math.min(amountBdt, leader.maximumBdt + bidIncrement(leader.maximumBdt)),
      holdBdt: amountBdt,
      displaced: leader,
      ...extension,
    };
  }
  // The earlier maximum is at least as high: it keeps the lead, and the price
  // rises to one increment above the new bid, capped at the leader's maximum.
  return {
    kind: "accepted",
    outcome: "outbid_at_once",
    priceBdt: Math.min(leader.maximumBdt, amountBdt + bidIncrement(amountBdt)),
    holdBdt: 0,
    displaced: null,
    ...extension,
  };
}

/** Soft close: a bid inside the last `autoExtendS` seconds moves the end to now + `autoExtendS`. */
export function softClose(state: AuctionState, nowMs: number): { endMs: number; extended: boolean } {
  if (!state.autoExtend || state.autoExtendS === null) return { endMs: state.endMs, extended: false };
  const windowMs = state.autoExtendS * 1000;
  if (state.endMs - nowMs >= windowMs) return { endMs: state.endMs, extended: false };
  return { endMs: nowMs + windowMs, extended: true };
}

export type CloseDecision =
  | { kind: "not_due" }
  | { kind: "sold"; winnerId: string; priceBdt: number; releaseBdt: number }
  | { kind: "expired"; releaseBdt: number; leaderId: string | null };

/**
 * What closing the auction at `nowMs` does. With a reserve, the winner pays at
 * least the reserve when their maximum reaches it; a leader whose maximum is
 * below the reserve does not win.
 */
export function decideClose(state: AuctionState & { reservePriceBdt: number | null }, nowMs: number): CloseDecision {
  if (nowMs < state.endMs) return { kind: "not_due" };
  const leader = state.leader;
  if (!leader) return { kind: "expired", releaseBdt: 0, leaderId: null };
  const price = state.currentPriceBdt ?? state.startPriceBdt;
  if (state.reservePriceBdt !== null && leader.maximumBdt < state.reservePriceBdt) {
    return { kind: "expired", releaseBdt: leader.maximumBdt, leaderId: leader.bidderId };
  }
  const finalPrice = state.reservePriceBdt !== null ? Math.max(price, state.reservePriceBdt) : price;
  return { kind: "sold", winnerId: leader.bidderId, priceBdt: finalPrice, releaseBdt: leader.maximumBdt };
}

/** The platform fee on a sale: `feePercent` of the price, rounded to whole taka. */
export function platformFee(priceBdt: number, feePercent: number): number {
  return Math.round((priceBdt * feePercent) / 100);
}
