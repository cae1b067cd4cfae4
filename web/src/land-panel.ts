/**
 * The selected land: what it is (coordinates, biome, price, owner, sign,
 * fence, listing) and what the player may do with it: buy it, fence it, sign
 * it, list it, cancel the listing, buy a listing, bid with a live countdown.
 * The live `chunk` room state wins over the HTTP answer it started from.
 */
import { ChunkMessage, MAX_PUBLIC_MESSAGE_LENGTH } from "../../src/protocol/room-messages.js";
import type { ListingType } from "../../src/protocol/http-schemas.js";
import type { PublicBid, PublicListing } from "../../src/services/listings-query-service.js";
import { api } from "./api.js";
import type { ChunkRooms, LandOverlay } from "./chunk-rooms.js";
import { h, toast, withProgress } from "./dom.js";
import { sentenceFor } from "./error-text.js";
import { countdown, shortTime, taka } from "./format.js";
import type { Session } from "./session.js";

/** `GET /lands/:x/:y` (docs/WORLD.md). */
export interface LandAnswer {
  x: number;
  y: number;
  biome: string;
  elevation: number;
  color_hex: string;
  price_bdt: number;
  land_id: string | null;
  owner: { user_id: string; username: string } | null;
  fenced: boolean;
  public_message: string | null;
  for_sale: boolean;
  listing: null | {
    listing_id: string;
    type: ListingType;
    price_bdt: number;
    reserve_met?: boolean | null;
    buy_now_price_bdt: number | null;
    current_price_bdt: number | null;
    bid_count: number;
    auction_end_time: string | null;
  };
}

/** `GET /listings/:listing_id` (docs/MARKET.md): the server's own answer type. */
interface ListingAnswer {
  listing: PublicListing;
  bids: PublicBid[];
}

export interface LandPanelDeps {
  rooms: ChunkRooms;
  session: Session;
  onOpenChat: (land: { landId: string; x: number; y: number; fenced: boolean; isOwner: boolean }) => void;
  onChanged: () => void;
}

export class LandPanel {
  private x = -1;
  private y = -1;
  private answer: LandAnswer | undefined;
  private listing: ListingAnswer | undefined;
  private lastLive: string | undefined;
  private loadSequence = 0;
  private countdownTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly element: HTMLElement,
    private readonly deps: LandPanelDeps,
  ) {
    this.element.replaceChildren(h("h2", { text: "Land" }), h("p", { class: "muted", text: "Click a land on the map, or focus the map and press Enter to pick the land at its centre." }));
  }

  get selected(): { x: number; y: number } | undefined {
    return this.x < 0 ? undefined : { x: this.x, y: this.y };
  }

  get landId(): string | undefined {
    return this.live()?.land_id || this.answer?.land_id || undefined;
  }

  async select(x: number, y: number): Promise<void> {
    this.x = x;
    this.y = y;
    this.answer = undefined;
    this.listing = undefined;
    this.lastLive = undefined;
    this.element.dataset.land = `${x},${y}`;
    this.element.replaceChildren(h("h2", { text: `Land (${x}, ${y})` }), h("p", { class: "progress", text: "Loading…" }));
    await this.reload();
  }

  /** Reads the land (and its listing) again over HTTP, then redraws. */
  async reload(): Promise<void> {
    if (this.x < 0) return;
    const sequence = ++this.loadSequence;
    const { x, y } = this;
    try {
      const answer = await api<LandAnswer>(`/lands/${x}/${y}`);
      const listingId = this.live()?.listing_id || answer.listing?.listing_id;
      const listing = listingId ? await api<ListingAnswer>(`/listings/${listingId}`, { token: this.deps.session.token }) : undefined;
      if (sequence !== this.loadSequence) return;
      this.answer = answer;
      this.listing = listing;
      this.lastLive = JSON.stringify(this.live() ?? null);
      this.render();
    } catch (error) {
      if (sequence !== this.loadSequence) return;
      this.element.replaceChildren(h("h2", { text: `Land (${x}, ${y})` }), h("p", { class: "error", role: "alert", text: sentenceFor(error) }));
    }
  }

  /** Called when lands of the joined chunks changed: a change to ours reloads its details. */
  landsChanged(keys: string[]): void {
    if (this.x < 0 || !keys.includes(`${this.x},${this.y}`)) return;
    const now = JSON.stringify(this.live() ?? null);
    if (now === this.lastLive) return;
    this.lastLive = now;
    this.render(); // at once from the live state…
    void this.reload(); // …then the details only HTTP has (bids, reserve)
  }

  /** What the chat needs to open on the selected land, once it is known and owned. */
  chatTarget(): { landId: string; x: number; y: number; fenced: boolean; isOwner: boolean } | undefined {
    if (!this.answer) return undefined;
    const view = this.view();
    if (!view.landId) return undefined;
    return { landId: view.landId, x: this.x, y: this.y, fenced: view.fenced, isOwner: view.ownerId === this.deps.session.me?.user_id };
  }

  private live(): LandOverlay | undefined {
    return this.x < 0 ? undefined : this.deps.rooms.land(this.x, this.y);
  }

  /** The land as the player should see it now: live room state over the HTTP answer. */
  private view() {
    const answer = this.answer!;
    const live = this.live();
    const watching = this.deps.rooms.watching(this.x, this.y);
    if (!live && !watching) {
      return {
        landId: answer.land_id ?? "",
        ownerId: answer.owner?.user_id ?? "",
        ownerName: answer.owner?.username ?? "",
        fenced: answer.fenced,
        message: answer.public_message ?? "",
        forSale: answer.for_sale,
        listingId: answer.listing?.listing_id ?? "",
        listingType: answer.listing?.type ?? "",
        priceBdt: answer.listing ? (answer.listing.current_price_bdt ?? answer.listing.price_bdt) : answer.price_bdt,
        minBidBdt: this.listing?.listing.min_bid_bdt ?? 0,
        highestBidderId: "",
        auctionEndMs: answer.listing?.auction_end_time ? Date.parse(answer.listing.auction_end_time) : 0,
      };
    }
    return {
      landId: live?.land_id ?? "",
      ownerId: live?.owner_id ?? "",
      ownerName: live?.owner_name ?? "",
      fenced: live?.fenced ?? false,
      message: live?.public_message ?? "",
      forSale: live?.for_sale ?? false,
      listingId: live?.listing_id ?? "",
      listingType: live?.listing_type ?? "",
      priceBdt: live?.for_sale ? (live.highest_bid_bdt || live.price_bdt) : answer.price_bdt,
      minBidBdt: live?.min_bid_bdt ?? 0,
      highestBidderId: live?.highest_bidder_id ?? "",
      auctionEndMs: live?.auction_end_ms ?? 0,
    };
  }

  private render(): void {
    if (!this.answer) return;
    clearInterval(this.countdownTimer);
    const answer = this.answer;
    const view = this.view();
    const me = this.deps.session.me;
    const mine = Boolean(me && view.ownerId === me.user_id);
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", { text: "Coordinates" }), h("dd", { text: `(${answer.x}, ${answer.y})` }),
      h("dt", { text: "Biome" }), h("dd", {}, h("span", { class: "swatch", "data-colour": answer.color_hex }), ` ${answer.biome}`),
      h("dt", { text: "Elevation" }), h("dd", { text: `${Math.round(answer.elevation * 100)} %` }),
      h("dt", { text: view.forSale ? "Price now" : "Price" }), h("dd", { id: "land-price", text: taka(view.priceBdt) }),
      h("dt", { text: "Owner" }), h("dd", { id: "land-owner", text: view.ownerName ? (mine ? `${view.ownerName} (you)` : view.ownerName) : "nobody yet" }),
      h("dt", { text: "Fence" }), h("dd", { id: "land-fence", text: view.fenced ? "fenced (chat needs a passcode)" : "none" }),
      h("dt", { text: "Sign" }), h("dd", { id: "land-message", text: view.message || "—" }),
      h("dt", { text: "Listing" }), h("dd", { id: "land-listing", text: view.forSale ? listingLabel(view.listingType) : "not for sale" }),
    );
    const swatch = facts.querySelector<HTMLElement>(".swatch");
    if (swatch) swatch.style.background = answer.color_hex; // CSSOM, not an inline style attribute (the page's CSP forbids those)

    const sections: (HTMLElement | null)[] = [];
    if (!me) sections.push(h("p", { class: "muted", text: "Log in to buy, sell, bid or chat." }));
    else if (!view.ownerId) sections.push(this.buyFromWorld(answer));
    else if (mine) sections.push(...this.ownerTools(view));
    if (view.forSale && view.listingId) sections.push(this.listingSection(view, mine));
    if (me && view.landId) {
      const chat = h("button", { type: "button", id: "open-chat", text: "Open chat" });
      chat.addEventListener("click", () => this.deps.onOpenChat({ landId: view.landId, x: this.x, y: this.y, fenced: view.fenced, isOwner: mine }));
      sections.push(h("div", { class: "row" }, chat));
    }
    const kept = this.typedValues();
    this.element.replaceChildren(h("h2", { text: `Land (${answer.x}, ${answer.y})` }), facts, ...sections.filter((s): s is HTMLElement => s !== null));
    this.restoreTypedValues(kept);
  }

  /**
   * What the player has typed into the panel's fields (and where the focus
   * is): live updates redraw the panel, and must not wipe a bid being typed.
   */
  private typedValues(): { values: Map<string, string>; focused: string | undefined } {
    const values = new Map<string, string>();
    for (const field of Array.from(this.element.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input[id][data-edited], select[id][data-edited]"))) {
      values.set(field.id, field instanceof HTMLInputElement && field.type === "checkbox" ? String(field.checked) : field.value);
    }
    const active = document.activeElement;
    return { values, focused: active && this.element.contains(active) && active.id ? active.id : undefined };
  }

  private restoreTypedValues(kept: { values: Map<string, string>; focused: string | undefined }): void {
    for (const field of Array.from(this.element.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input[id], select[id]"))) {
      const value = kept.values.get(field.id);
      if (value !== undefined) {
        if (field instanceof HTMLInputElement && field.type === "checkbox") field.checked = value === "true";
        else field.value = value;
        field.dataset.edited = "true";
        field.dispatchEvent(new Event("change"));
      }
      const mark = () => (field.dataset.edited = "true");
      field.addEventListener("input", mark);
      field.addEventListener("change", mark);
    }
    if (kept.focused) document.getElementById(kept.focused)?.focus();
  }

  private act(button: HTMLButtonElement, busy: string, type: ChunkMessage, payload: Record<string, unknown>, done: string): void {
    void withProgress(
      button,
      busy,
      async () => {
        await this.deps.rooms.send(this.x, this.y, type, payload as never);
        // Done: the next drawing shows fresh fields (the new minimum bid, an empty form).
        for (const field of Array.from(this.element.querySelectorAll<HTMLElement>("[data-edited]"))) delete field.dataset.edited;
        toast(done, "success");
        this.deps.onChanged();
        await this.reload();
      },
      (error) => toast(sentenceFor(error), "error", 9000),
    );
  }

  private buyFromWorld(answer: LandAnswer): HTMLElement {
    const button = h("button", { type: "button", id: "buy-land", text: `Buy for ${taka(answer.price_bdt)}` });
    button.addEventListener("click", () => this.act(button, "Buying… (waiting for the purchase to be recorded)", "buy", { x: this.x, y: this.y }, `You bought land (${this.x}, ${this.y}).`));
    return h("div", { class: "actions" }, button);
  }

  private ownerTools(view: ReturnType<LandPanel["view"]>): HTMLElement[] {
    const sections: HTMLElement[] = [];

    const text = h("input", { id: "sign-text", name: "text", maxlength: MAX_PUBLIC_MESSAGE_LENGTH, value: view.message, autocomplete: "off" });
    const save = h("button", { type: "submit", text: "Save sign" });
    const sign = h("form", { class: "stack", id: "sign-form" }, h("label", { for: "sign-text", text: `Sign (public, up to ${MAX_PUBLIC_MESSAGE_LENGTH} characters)` }), h("div", { class: "row" }, text, save));
    sign.addEventListener("submit", (event) => {
      event.preventDefault();
      this.act(save, "Saving…", "set_message", { x: this.x, y: this.y, text: text.value }, "Sign saved.");
    });
    sections.push(sign);

    const passcode = h("input", { id: "fence-passcode", name: "passcode", inputmode: "numeric", pattern: "\\d{4}", maxlength: 4, autocomplete: "off", placeholder: "4 digits" });
    const setFence = h("button", { type: "submit", text: view.fenced ? "Change fence" : "Fence it" });
    const fence = h("form", { class: "stack", id: "fence-form" }, h("label", { for: "fence-passcode", text: "Fence: a 4-digit passcode others need to enter the land's chat" }), h("div", { class: "row" }, passcode, setFence));
    fence.addEventListener("submit", (event) => {
      event.preventDefault();
      this.act(setFence, "Fencing…", "fence", { x: this.x, y: this.y, passcode: passcode.value.trim() }, "Fence set.");
    });
    if (view.fenced) {
      const remove = h("button", { type: "button", class: "secondary", text: "Remove fence" });
      remove.addEventListener("click", () => this.act(remove, "Removing…", "fence", { x: this.x, y: this.y, passcode: null }, "Fence removed."));
      fence.append(remove);
    }
    sections.push(fence);

    if (view.forSale && view.listingId) {
      const cancel = h("button", { type: "button", class: "secondary", id: "cancel-listing", text: "Cancel listing" });
      cancel.addEventListener("click", () => this.act(cancel, "Cancelling…", "cancel_listing", { listing_id: view.listingId }, "Listing cancelled."));
      sections.push(h("div", { class: "actions" }, cancel));
    } else {
      sections.push(this.listForm());
    }
    return sections;
  }

  private listForm(): HTMLElement {
    const type = h("select", { id: "list-type", name: "type" },
      h("option", { value: "fixed_price", text: "Fixed price" }),
      h("option", { value: "buy_now", text: "Buy now" }),
      h("option", { value: "auction", text: "Auction" }));
    const price = h("input", { id: "list-price", name: "price", type: "number", min: 1, step: 1, required: true });
    const duration = h("input", { id: "list-duration", name: "duration", type: "number", min: 1, step: 1, value: 10 });
    const unit = h("select", { id: "list-duration-unit", name: "unit", "aria-label": "Duration unit" },
      h("option", { value: "60", text: "minutes" }), h("option", { value: "3600", text: "hours" }), h("option", { value: "86400", text: "days" }), h("option", { value: "1", text: "seconds" }));
    const reserve = h("input", { id: "list-reserve", name: "reserve", type: "number", min: 1, step: 1, placeholder: "none" });
    const buyNow = h("input", { id: "list-buy-now", name: "buy_now", type: "number", min: 1, step: 1, placeholder: "none" });
    const softClose = h("input", { id: "list-soft-close", name: "soft_close", type: "checkbox", checked: true });
    const extension = h("input", { id: "list-extend-s", name: "extend", type: "number", min: 1, max: 3600, step: 1, value: 60 });
    const auctionFields = h("fieldset", { class: "stack", id: "auction-fields", hidden: true },
      h("legend", { text: "Auction" }),
      h("label", { for: "list-duration", text: "Runs for" }), h("div", { class: "row" }, duration, unit),
      h("label", { for: "list-reserve", text: "Reserve price (secret; no sale below it)" }), reserve,
      h("label", { for: "list-buy-now", text: "Buy-now price (optional)" }), buyNow,
      h("label", { class: "inline" }, softClose, " Soft close: a late bid extends the auction by"), h("div", { class: "row" }, extension, h("span", { text: "seconds" })));
    const submit = h("button", { type: "submit", id: "list-submit", text: "List for sale" });
    const form = h("form", { class: "stack", id: "list-form" },
      h("h3", { text: "Sell this land" }),
      h("label", { for: "list-type", text: "How" }), type,
      h("label", { for: "list-price", id: "list-price-label", text: "Price (BDT)" }), price,
      auctionFields, submit);
    type.addEventListener("change", () => {
      const auction = type.value === "auction";
      auctionFields.hidden = !auction;
      form.querySelector("#list-price-label")!.textContent = auction ? "Starting bid (BDT)" : "Price (BDT)";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const payload: Record<string, unknown> = { x: this.x, y: this.y, type: type.value, price_bdt: Number(price.value) };
      if (type.value === "auction") {
        payload.duration_s = Math.round(Number(duration.value) * Number(unit.value));
        if (reserve.value) payload.reserve_price_bdt = Number(reserve.value);
        if (buyNow.value) payload.buy_now_price_bdt = Number(buyNow.value);
        if (softClose.checked) {
          payload.auto_extend = true;
          payload.auto_extend_s = Number(extension.value);
        }
      }
      this.act(submit, "Listing…", "list", payload, "Listed.");
    });
    return form;
  }

  private listingSection(view: ReturnType<LandPanel["view"]>, mine: boolean): HTMLElement {
    const me = this.deps.session.me;
    const details = this.listing?.listing;
    const section = h("section", { class: "listing", id: "listing", "aria-labelledby": "listing-title" }, h("h3", { id: "listing-title", text: listingLabel(view.listingType) }));
    if (view.listingType !== "auction") {
      section.append(h("p", {}, "Price: ", h("strong", { text: taka(view.priceBdt) })));
      if (me && !mine) {
        const buy = h("button", { type: "button", id: "buy-listing", text: `Buy now for ${taka(view.priceBdt)}` });
        buy.addEventListener("click", () => this.act(buy, "Buying… (waiting for the sale to be recorded)", "buy_listing", { listing_id: view.listingId }, "You bought this land."));
        section.append(buy);
      }
      return section;
    }

    const clock = h("strong", { id: "auction-countdown", "data-end-ms": String(view.auctionEndMs) });
    const tick = () => {
      clock.textContent = countdown(view.auctionEndMs - Date.now());
    };
    tick();
    this.countdownTimer = setInterval(tick, 250);
    const leading = view.highestBidderId ? (me && view.highestBidderId === me.user_id ? "you" : (this.listing?.bids.find((b) => b.bidder_id === view.highestBidderId)?.bidder_name ?? "another player")) : "no bids yet";
    section.append(
      h("dl", { class: "facts" },
        h("dt", { text: "Ends in" }), h("dd", {}, clock),
        h("dt", { text: "Current price" }), h("dd", { id: "auction-price", text: view.highestBidderId ? taka(view.priceBdt) : `${taka(view.priceBdt)} (starting bid)` }),
        h("dt", { text: "Leading" }), h("dd", { id: "auction-leader", text: leading }),
        h("dt", { text: "Minimum next bid" }), h("dd", { id: "auction-min-bid", text: taka(view.minBidBdt) }),
        details?.reserve_met === null || details === undefined ? null : h("dt", { text: "Reserve" }),
        details?.reserve_met === null || details === undefined ? null : h("dd", { text: details.reserve_met ? "met" : "not met yet" }),
        details?.auto_extend ? h("dt", { text: "Soft close" }) : null,
        details?.auto_extend ? h("dd", { text: `a bid in the last ${details.auto_extend_s ?? 60} s extends it` }) : null,
      ),
    );
    if (me && !mine) {
      const amount = h("input", { id: "bid-amount", name: "amount", type: "number", min: view.minBidBdt, step: 1, value: view.minBidBdt, required: true });
      const bid = h("button", { type: "submit", id: "bid-submit", text: "Bid" });
      const form = h("form", { class: "stack", id: "bid-form" },
        h("label", { for: "bid-amount", text: "Your maximum bid (BDT): we bid for you only as much as needed to lead" }),
        h("div", { class: "row" }, amount, bid));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.act(bid, "Bidding…", "bid", { listing_id: view.listingId, amount_bdt: Number(amount.value) }, "Bid placed.");
      });
      section.append(form);
      const buyNowPrice = details?.buy_now_price_bdt;
      if (buyNowPrice) {
        const buy = h("button", { type: "button", class: "secondary", id: "buy-listing", text: `Buy now for ${taka(buyNowPrice)}` });
        buy.addEventListener("click", () => this.act(buy, "Buying…", "buy_listing", { listing_id: view.listingId }, "You bought this land."));
        section.append(buy);
      }
    }
    const bids = this.listing?.bids ?? [];
    section.append(
      h("h4", { text: `Bids (${bids.length})` }),
      bids.length === 0
        ? h("p", { class: "muted", text: "No bids yet." })
        : h("ol", { class: "bids", id: "bid-history" }, ...bids.map((b) =>
            h("li", { "data-bidder": b.bidder_name }, h("span", { text: b.bidder_name }), " ", h("span", { class: "muted", text: b.status }), b.amount_bdt !== null ? ` · your max ${taka(b.amount_bdt)}` : "", " ", h("time", { datetime: b.created_at, class: "muted small", text: shortTime(b.created_at) })))),
    );
    return section;
  }
}

function listingLabel(type: string): string {
  return type === "auction" ? "Auction" : type === "buy_now" ? "Buy now" : type === "fixed_price" ? "Fixed price" : "Listed";
}
