import { describe, expect, it } from "vitest";
import { bidIncrement, minimumNextBid } from "../../src/domain/auction/bid-increments.js";
import { checkListingRequest, decideBid, decideClose, platformFee, softClose, type AuctionState } from "../../src/domain/auction/auction-rules.js";

const base: AuctionState = {
  sellerId: "seller",
  startPriceBdt: 1_000,
  currentPriceBdt: null,
  bidCount: 0,
  leader: null,
  endMs: 100_000,
  autoExtend: false,
  autoExtendS: null,
};

describe("bid increments", () => {
  it("are banded by price", () => {
    expect([0, 99, 100, 499, 500, 999, 1_000, 4_999, 5_000, 10_000, 50_000, 100_000, 500_000].map(bidIncrement)).toEqual([
      5, 5, 10, 10, 25, 25, 50, 50, 100, 250, 500, 1_000, 5_000,
    ]);
  });
  it("the minimum next bid is the start before any bid, then the price plus its increment", () => {
    expect(minimumNextBid(1_000, null, 0)).toBe(1_000);
    expect(minimumNextBid(1_000, 1_550, 2)).toBe(1_600);
  });
});

describe("proxy bidding", () => {
  it("a first bid leads at the starting price and holds its maximum", () => {
    expect(decideBid(base, "a", 2_000, 0)).toMatchObject({ kind: "accepted", outcome: "leads", priceBdt: 1_000, holdBdt: 2_000, displaced: null });
  });
  it("a lower challenger is outbid at once and the price rises one increment above it", () => {
    const state = { ...base, currentPriceBdt: 1_000, bidCount: 1, leader: { bidderId: "a", maximumBdt: 2_000 } };
    expect(decideBid(state, "b", 1_500, 0)).toMatchObject({ outcome: "outbid_at_once", priceBdt: 1_550, holdBdt: 0 });
  });
  it("equal maxima: the earlier bid keeps the lead at its maximum", () => {
    const state = { ...base, currentPriceBdt: 1_000, bidCount: 1, leader: { bidderId: "a", maximumBdt: 2_000 } };
    expect(decideBid(state, "b", 2_000, 0)).toMatchObject({ outcome: "outbid_at_once", priceBdt: 2_000 });
  });
  it("a higher challenger leads at one increment above the old maximum, and displaces the old leader", () => {
    const state = { ...base, currentPriceBdt: 1_550, bidCount: 2, leader: { bidderId: "a", maximumBdt: 2_000 } };
    expect(decideBid(state, "c", 3_000, 0)).toMatchObject({ outcome: "leads", priceBdt: 2_050, holdBdt: 3_000, displaced: { bidderId: "a", maximumBdt: 2_000 } });
    expect(decideBid(state, "c", 2_010, 0)).toMatchObject({ outcome: "leads", priceBdt: 2_010 });
  });
  it("the leader may raise their own maximum; only the difference is held", () => {
    const state = { ...base, currentPriceBdt: 1_000, bidCount: 1, leader: { bidderId: "a", maximumBdt: 2_000 } };
    expect(decideBid(state, "a", 2_500, 0)).toMatchObject({ outcome: "raised_own_maximum", holdBdt: 500, priceBdt: 1_000 });
    expect(decideBid(state, "a", 2_000, 0)).toMatchObject({ kind: "rejected", code: "BID_TOO_LOW" });
  });
  it("refuses the seller, a bid below the minimum, and a bid after the end", () => {
    expect(decideBid(base, "seller", 5_000, 0)).toMatchObject({ kind: "rejected", code: "OWN_LISTING" });
    expect(decideBid(base, "a", 999, 0)).toMatchObject({ kind: "rejected", code: "BID_TOO_LOW" });
    expect(decideBid(base, "a", 5_000, 100_000)).toMatchObject({ kind: "rejected", code: "LISTING_CLOSED" });
  });
  it("the price jumps to the reserve once the leading maximum reaches it", () => {
    expect(decideBid({ ...base, reservePriceBdt: 1_500 }, "a", 2_000, 0)).toMatchObject({ priceBdt: 1_500 });
    expect(decideBid({ ...base, reservePriceBdt: 5_000 }, "a", 2_000, 0)).toMatchObject({ priceBdt: 1_000 });
  });
});

describe("soft close", () => {
  const extending = { ...base, autoExtend: true, autoExtendS: 30 };
  it("a bid inside the last auto_extend_s seconds moves the end to now + auto_extend_s", () => {
    expect(softClose(extending, 80_000)).toEqual({ endMs: 110_000, extended: true });
  });
  it("a bid before that window, or without auto_extend, leaves the end", () => {
    expect(softClose(extending, 60_000)).toEqual({ endMs: 100_000, extended: false });
    expect(softClose(base, 99_000)).toEqual({ endMs: 100_000, extended: false });
  });
});

describe("closing", () => {
  const led = { ...base, currentPriceBdt: 1_550, bidCount: 2, leader: { bidderId: "a", maximumBdt: 2_000 }, reservePriceBdt: null };
  it("is not due before the end", () => {
    expect(decideClose(led, 99_999)).toEqual({ kind: "not_due" });
  });
  it("sells to the leader at the visible price, releasing their whole hold", () => {
    expect(decideClose(led, 100_000)).toEqual({ kind: "sold", winnerId: "a", priceBdt: 1_550, releaseBdt: 2_000 });
  });
  it("expires when the leader's maximum is below the reserve, and when nobody bid", () => {
    expect(decideClose({ ...led, reservePriceBdt: 3_000 }, 100_000)).toEqual({ kind: "expired", releaseBdt: 2_000, leaderId: "a" });
    expect(decideClose({ ...base, reservePriceBdt: null }, 100_000)).toEqual({ kind: "expired", releaseBdt: 0, leaderId: null });
  });
  it("charges the platform fee rounded to whole taka", () => {
    expect(platformFee(2_050, 5)).toBe(103);
    expect(platformFee(5_000, 5)).toBe(250);
    expect(platformFee(999, 0)).toBe(0);
  });
});

describe("listing requests", () => {
  it("accepts coherent terms and refuses auction terms on fixed prices, short or long durations, and a low reserve", () => {
    expect(checkListingRequest({ type: "fixed_price", price_bdt: 10 }).ok).toBe(true);
    expect(checkListingRequest({ type: "auction", price_bdt: 10, duration_s: 10, auto_extend: true })).toMatchObject({ ok: true, value: { autoExtendS: 60 } });
    expect(checkListingRequest({ type: "buy_now", price_bdt: 10, reserve_price_bdt: 20 }).ok).toBe(false);
    expect(checkListingRequest({ type: "auction", price_bdt: 10, duration_s: 9 }).ok).toBe(false);
    expect(checkListingRequest({ type: "auction", price_bdt: 10, duration_s: 30 * 24 * 3600 + 1 }).ok).toBe(false);
    expect(checkListingRequest({ type: "auction", price_bdt: 10, duration_s: 60, reserve_price_bdt: 5 }).ok).toBe(false);
    expect(checkListingRequest({ type: "auction", price_bdt: 10, duration_s: 60, buy_now_price_bdt: 10 }).ok).toBe(false);
  });
});
