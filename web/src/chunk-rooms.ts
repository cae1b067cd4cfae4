/**
 * The `chunk` rooms around the view (PROTOCOL.md, room `chunk`): joins and
 * leaves them as the map moves (with hysteresis, chunk-window.ts), mirrors
 * their `lands` into one overlay keyed "x,y", sends actions with a fresh
 * `req` and resolves each with its one `result`, and passes `event`s on.
 */
import { Client, type Room } from "@colyseus/sdk";
import {
  chunkMessageSchemas,
  ChunkMessage,
  RECONNECT_CLOSE_CODE,
  RoomName,
  ServerMessage,
  type ChunkLandState,
  type ChunkMessagePayload,
  type ResultMessage,
} from "../../src/protocol/room-messages.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { planChunkRooms } from "./chunk-window.js";
import { ServerRefusal } from "./error-text.js";
import { newReq } from "./format.js";
import { chunkKey, chunkOfLand, type ChunkRange, type WorldSize } from "./world-geometry.js";

export type LandOverlay = ChunkLandState;

/** A server event (`outbid`, `sold`, `auction_extended`, `auction_closed`, …). */
export interface ServerEvent {
  type: string;
  listing_id?: string;
  land_id?: string;
  price_bdt?: number;
  auction_end_ms?: number;
  [field: string]: unknown;
}

interface Slot {
  key: string;
  cx: number;
  cy: number;
  room: Room | undefined;
  joined: Promise<Room>;
  leaving: boolean;
  lands: Map<string, LandOverlay>;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const LAND_FIELDS: (keyof LandOverlay)[] = [
  "land_id", "x", "y", "owner_id", "owner_name", "fenced", "public_message", "for_sale", "listing_id", "listing_type",
  "price_bdt", "min_bid_bdt", "highest_bid_bdt", "highest_bidder_id", "auction_end_ms", "updated_at_ms",
];
const REJOIN_DELAY_MS = 2_000;

export class ChunkRooms {
  /** Every owned or listed land of the joined chunks, keyed "x,y". */
  readonly lands = new Map<string, LandOverlay>();
  onLandsChanged: (changedKeys: string[]) => void = () => undefined;
  onEvent: (event: ServerEvent) => void = () => undefined;
  onJoinedCountChanged: (count: number) => void = () => undefined;

  private client: Client;
  private readonly slots = new Map<string, Slot>();
  private readonly pending = new Map<string, Pending>();
  private lastView: ChunkRange | undefined;
  private pinned = new Set<string>();
  private tooFarOut = false;

  constructor(
    private readonly world: WorldSize,
    private readonly token: () => string | null,
    private readonly options = { margin: 1, maxRooms: 30 },
  ) {
    this.client = this.makeClient();
  }

  get joinedCount(): number {
    return [...this.slots.values()].filter((slot) => slot.room).length;
  }

  get isTooFarOut(): boolean {
    return this.tooFarOut;
  }

  private makeClient(): Client {
    const client = new Client(window.location.origin);
    const token = this.token();
    if (token) client.auth.token = token;
    return client;
  }

  /** Joins and leaves rooms for the chunks in view, plus the pinned ones (the selected land's). */
  sync(view: ChunkRange | undefined, pinned: ReadonlySet<string> = this.pinned): void {
    this.lastView = view;
    this.pinned = new Set(pinned);
    const plan = planChunkRooms(view, this.slots.keys(), { ...this.options, pinned: this.pinned });
    this.tooFarOut = plan.tooFarOut;
    for (const { cx, cy } of plan.leave) this.leave(chunkKey(cx, cy));
    for (const { cx, cy } of plan.join) this.join(cx, cy);
  }

  /** After logging in or out: every room again, with the new token (an anonymous connection may only watch). */
  reconnectAll(): void {
    for (const key of [...this.slots.keys()]) this.leave(key);
    this.client = this.makeClient();
    this.sync(this.lastView);
  }

  private join(cx: number, cy: number): void {
    const key = chunkKey(cx, cy);
    const slot: Slot = { key, cx, cy, room: undefined, leaving: false, lands: new Map(), joined: undefined as unknown as Promise<Room> };
    slot.joined = this.client.joinOrCreate(RoomName.CHUNK, { cx, cy }).then(
      (room) => {
        slot.room = room;
        if (slot.leaving) {
          void room.leave().catch(() => undefined);
          return room;
        }
        this.wire(slot, room);
        this.onJoinedCountChanged(this.joinedCount);
        return room;
      },
      (error: unknown) => {
        if (this.slots.get(key) === slot) this.slots.delete(key);
        if (!slot.leaving) setTimeout(() => this.sync(this.lastView), REJOIN_DELAY_MS);
        throw error;
      },
    );
    slot.joined.catch(() => undefined); // a failed join is retried by the next sync
    this.slots.set(key, slot);
  }

  private leave(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.leaving = true;
    this.slots.delete(key);
    if (slot.room) void slot.room.leave().catch(() => undefined);
    const changed = [...slot.lands.keys()];
    for (const landKey of changed) this.lands.delete(landKey);
    if (changed.length) this.onLandsChanged(changed);
    this.onJoinedCountChanged(this.joinedCount);
  }

  private wire(slot: Slot, room: Room): void {
    room.onMessage(ServerMessage.RESULT, (message: ResultMessage) => this.settle(message));
    room.onMessage(ServerMessage.EVENT, (event: ServerEvent) => {
      if (event?.type === "server_restarting") return; // the close that follows makes us join again
      this.onEvent(event);
    });
    room.onStateChange((state: { lands?: { forEach(callback: (land: LandOverlay, key: string) => void): void } }) => {
      this.mirror(slot, state);
    });
    room.onLeave((code: number) => {
      if (slot.leaving || this.slots.get(slot.key) !== slot) return;
      // Dropped by the server (a stopping process says RECONNECT_CLOSE_CODE): join again shortly.
      this.leave(slot.key);
      setTimeout(() => this.sync(this.lastView), code === RECONNECT_CLOSE_CODE ? 200 : REJOIN_DELAY_MS);
    });
  }

  /** Copies the room's lands into plain objects and reports which changed. */
  private mirror(slot: Slot, state: { lands?: { forEach(callback: (land: LandOverlay, key: string) => void): void } }): void {
    const seen = new Set<string>();
    const changed: string[] = [];
    state.lands?.forEach((land, key) => {
      seen.add(key);
      const before = slot.lands.get(key);
      if (before && LAND_FIELDS.every((field) => before[field] === land[field])) return;
      const copy = {} as Record<string, unknown>;
      for (const field of LAND_FIELDS) copy[field] = land[field];
      slot.lands.set(key, copy as unknown as LandOverlay);
      this.lands.set(key, copy as unknown as LandOverlay);
      changed.push(key);
    });
    for (const key of [...slot.lands.keys()]) {
      if (seen.has(key)) continue;
      slot.lands.delete(key);
      this.lands.delete(key);
      changed.push(key);
    }
    if (changed.length) this.onLandsChanged(changed);
  }

  private settle(message: ResultMessage): void {
    const waiter = this.pending.get(message.req);
    if (!waiter) return;
    this.pending.delete(message.req);
    clearTimeout(waiter.timer);
    if (message.ok) waiter.resolve(message.data);
    else waiter.reject(new ServerRefusal(message.error.code, message.error.message));
  }

  /**
   * Sends an action through the room of the chunk holding land (x, y) and
   * resolves with its result's `data`. The payload is checked with the
   * protocol's own schema first, so a bad form never reaches the server.
   * @throws ServerRefusal with the server's code, or INVALID_INPUT / UNAVAILABLE from here.
   */
  async send<T extends ChunkMessage>(
    x: number,
    y: number,
    type: T,
    payload: Omit<ChunkMessagePayload<T>, "req">,
    timeoutMs = 30_000,
  ): Promise<unknown> {
    const message = { req: newReq(type), ...payload };
    const checked = chunkMessageSchemas[type].safeParse(message);
    if (!checked.success) {
      throw new ServerRefusal(ErrorCode.INVALID_INPUT, checked.error.issues.map((issue) => issue.message).join("; "));
    }
    const { cx, cy } = chunkOfLand(x, y, this.world);
    const key = chunkKey(cx, cy);
    if (!this.slots.has(key)) {
      this.pinned.add(key);
      this.sync(this.lastView);
    }
    const slot = this.slots.get(key);
    if (!slot) throw new ServerRefusal(ErrorCode.UNAVAILABLE, "not connected to this land's chunk");
    const room = await slot.joined;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(message.req);
        reject(new ServerRefusal(ErrorCode.UNAVAILABLE, "no answer in time; check the land before trying again"));
      }, timeoutMs);
      this.pending.set(message.req, { resolve, reject, timer });
      room.send(type, message);
    });
  }

  /** The live state of land (x, y) if its chunk is joined and it is owned or listed. */
  land(x: number, y: number): LandOverlay | undefined {
    return this.lands.get(`${x},${y}`);
  }

  /** Whether the chunk of land (x, y) is joined, so `land()` is authoritative for it. */
  watching(x: number, y: number): boolean {
    const { cx, cy } = chunkOfLand(x, y, this.world);
    return Boolean(this.slots.get(chunkKey(cx, cy))?.room);
  }

  findListing(listingId: string): LandOverlay | undefined {
    for (const land of this.lands.values()) if (land.listing_id === listingId) return land;
    return undefined;
  }
}
