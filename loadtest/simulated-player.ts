/**
 * One simulated player: a logged-in account that walks about the world,
 * keeps the `chunk` rooms around it joined (with hysteresis), fetches terrain
 * over HTTP as a client would (honouring Cache-Control and ETag), and acts on
 * the market and in land chats with human think times. It speaks only the
 * contract (PROTOCOL.md) through `@colyseus/sdk`, and reports every
 * measurement to the recorder.
 */
import { Callbacks, type Room } from "@colyseus/sdk";
import { ErrorCode } from "../src/protocol/error-codes.js";
import {
  CHAT_ACCESS_REVOKED_CLOSE_CODE,
  ChatMessage,
  ChatServerMessage,
  ChunkMessage,
  MAX_PUBLIC_MESSAGE_LENGTH,
  RoomName,
  ServerMessage,
  type ChatMessageView,
  type ResultMessage,
  type ChunkLandState,
} from "../src/protocol/room-messages.js";
import { landIndex, unpackChunk, type PackedChunk, type UnpackedChunk } from "../src/domain/world/packed-chunk.js";
import type { Account } from "./accounts.js";
import { ENCRYPTION_VERSION, decryptText, encryptText, type ChatKeyring } from "./chat-crypto.js";
import { chunkKey, chunkOfLand, planChunkMoves, type ChunkGrid } from "./chunk-hysteresis.js";
import { CountingClient } from "./counting-client.js";
import { PseudoCode, type MetricsRecorder } from "./metrics-recorder.js";
import { logNormal, pick, pickWeighted, randomInt, standardNormal, type Random } from "./random.js";
import { THINK_SIGMA, type Intent, type Scenario } from "./scenarios.js";
import type { Target } from "./target-guard.js";

export interface WorldInfo extends ChunkGrid {
  width: number;
  height: number;
}

/** Lands [x0, x1) × [y0, y1) where players spawn and walk. */
export interface WalkArea {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What every player of a run shares. */
export interface PlayerContext {
  /** The deployment's entry points; player i uses number i mod n (several spread players over a cluster's processes). */
  targets: Target[];
  world: WorldInfo;
  area: WalkArea;
  scenario: Scenario;
  recorder: MetricsRecorder;
  keyring: ChatKeyring;
  /**
   * Passcodes the players told each other (land_id → passcode), as friends
   * would out of band; a player joins a fenced land's chat only with one.
   */
  passcodes: Map<string, string>;
  /** Unique per run: part of every `req`, so a rerun with the same accounts is never taken for a retry. */
  runTag: string;
  thinkMedianMs: number;
  actionTimeoutMs: number;
}

/** The `Land` of the chunk state (PROTOCOL.md, room `chunk`). */
type LandState = ChunkLandState;

/** What the schema decoder reports per decoded change (`DataChange` of @colyseus/schema). */
interface RawChange {
  ref: unknown;
  field?: string;
  dynamicIndex?: number | string;
  value: unknown;
  previousValue: unknown;
}

/**
 * The schema decoder builds each string one character at a time, which V8
 * keeps as a tree of concatenations: about 800 bytes for a 36-character id
 * instead of 70. Hundreds of simulated players each holding the state of nine
 * chunks made that most of the generator's heap (and its GC pauses, which
 * would show up as latency). Converting a string to a number makes V8 flatten
 * it in place; the result is thrown away.
 */
function flattenString(value: string): void {
  if (value.length >= 13) void ((value as unknown as number) | 0);
}

function isLand(value: unknown): value is LandState {
  return typeof value === "object" && value !== null && "updated_at_ms" in value && "land_id" in value;
}

interface ChunkSlot {
  key: string;
  cx: number;
  cy: number;
  room: Room | undefined;
  /** The first full state has arrived: later changes are broadcasts. */
  baselined: boolean;
  leaving: boolean;
}

interface TerrainEntry extends UnpackedChunk {
  etag: string | null;
  fetchedAtMs: number;
  maxAgeMs: number;
}

interface Pending {
  label: string;
  sentAt: number;
  room: Room;
  landKey: string | undefined;
  timer: NodeJS.Timeout;
  resolve: (outcome: Outcome) => void;
}

interface Outcome {
  code: string;
  data?: unknown;
}

interface ChatSession {
  room: Room;
  landId: string;
  remaining: number;
  leaving: boolean;
}

const WALK_TICK_MS = 500;
const JOIN_RETRY_MS = 2_000;
/** A land change within this long of the player's own action on that land is not counted as a broadcast to "another" client. */
const OWN_CHANGE_WINDOW_MS = 5_000;
const LEAVE_TIMEOUT_MS = 3_000;
/**
 * Each HTTP request gets its own timeout signal: passing the player's
 * long-lived stop signal to every fetch piles a listener per request on it.
 */
const HTTP_TIMEOUT_MS = 15_000;
const TERRAIN_CACHE_CHUNKS = 64;
const ME_REFRESH_MS = 30_000;
const STOPPED = "stopped";

const SIGN_WORDS = ["welcome", "keep out", "for sale soon", "home", "garden", "quiet please", "est.", "the lake view", "north camp", "trading post"];
const CHAT_WORDS = ["hello", "anyone here?", "nice land", "selling soon", "bid on mine", "how much?", "meet at the river", "ok", "see you", "thanks"];

export class SimulatedPlayer {
  private x = 0;
  private y = 0;
  private heading = 0;
  private speed = 0;
  private pauseLeftS = 0;
  private readonly target: Target;
  private readonly client: CountingClient;
  private readonly chunks = new Map<string, ChunkSlot>();
  private readonly joinRetryAt = new Map<string, number>();
  private readonly terrain = new Map<string, TerrainEntry>();
  private readonly pending = new Map<string, Pending>();
  private readonly ownChanges = new Map<string, number>();
  private chat: ChatSession | undefined;
  private sequence = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private balanceBdt: number;
  private balanceReadAt = 0;
  private balanceStale = false;

  constructor(
    private readonly account: Account,
    private readonly context: PlayerContext,
    private readonly random: Random,
  ) {
    this.target = context.targets[account.index % context.targets.length]!;
    this.client = new CountingClient(this.target.wsUrl, context.recorder);
    this.client.auth.token = account.token;
    this.balanceBdt = account.balanceBdt;
  }

  /** Spawns in the walk area and starts walking and acting. */
  start(): void {
    const { area, scenario } = this.context;
    this.x = area.x0 + this.random() * (area.x1 - area.x0);
    this.y = area.y0 + this.random() * (area.y1 - area.y0);
    this.heading = this.random() * 2 * Math.PI;
    this.speed = logNormal(this.random, scenario.walkSpeed, 0.4);
    this.balanceReadAt = Date.now();
    this.loops = [this.guard(this.walkLoop()), this.guard(this.actLoop())];
  }

  /** Stops both loops, answers pending actions as stopped (not measured) and leaves every room. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    for (const [req, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(req);
      pending.resolve({ code: STOPPED });
    }
    await Promise.allSettled(this.loops);
    const leaving: Promise<void>[] = [];
    for (const slot of this.chunks.values()) {
      slot.leaving = true;
      if (slot.room) leaving.push(leaveRoom(slot.room));
    }
    if (this.chat) {
      this.chat.leaving = true;
      leaving.push(leaveRoom(this.chat.room));
    }
    await Promise.allSettled(leaving);
    this.chunks.clear();
    this.chat = undefined;
  }

  /** A loop that throws ends this player's walking or acting; it is counted (with its message), never an unhandled rejection. */
  private async guard(loop: Promise<void>): Promise<void> {
    try {
      await loop;
    } catch (error) {
      if (this.stopped) return;
      this.context.recorder.result("player.loop_crashed", (error instanceof Error ? error.message : String(error)).slice(0, 120));
    }
  }

  // --------------------------------------------------------------------------
  // Walking and chunk rooms

  private async walkLoop(): Promise<void> {
    this.syncChunks();
    while (!this.stopped) {
      if (!(await this.sleep(WALK_TICK_MS))) return;
      this.step(WALK_TICK_MS / 1000);
      this.syncChunks();
    }
  }

  /** A random walk with momentum: the heading drifts a little each tick, the speed now and then; pauses happen. */
  private step(dt: number): void {
    const { scenario, area } = this.context;
    if (this.pauseLeftS > 0) {
      this.pauseLeftS -= dt;
      return;
    }
    if (this.random() < scenario.pauseChancePerSecond * dt) {
      this.pauseLeftS = logNormal(this.random, 4, 0.6);
      return;
    }
    this.heading += 0.35 * standardNormal(this.random);
    if (this.random() < 0.1 * dt) this.speed = logNormal(this.random, scenario.walkSpeed, 0.4);
    this.x += Math.cos(this.heading) * this.speed * dt;
    this.y += Math.sin(this.heading) * this.speed * dt;
    // Reflect off the walk area's edges.
    const maxX = area.x1 - 1e-6;
    const maxY = area.y1 - 1e-6;
    if (this.x < area.x0 || this.x > maxX) {
      this.x = this.x < area.x0 ? 2 * area.x0 - this.x : 2 * maxX - this.x;
      this.heading = Math.PI - this.heading;
    }
    if (this.y < area.y0 || this.y > maxY) {
      this.y = this.y < area.y0 ? 2 * area.y0 - this.y : 2 * maxY - this.y;
      this.heading = -this.heading;
    }
    this.x = Math.min(maxX, Math.max(area.x0, this.x));
    this.y = Math.min(maxY, Math.max(area.y0, this.y));
  }

  private syncChunks(): void {
    if (this.stopped) return;
    const plan = planChunkMoves(this.x, this.y, this.chunks.keys(), this.context.world);
    for (const { cx, cy } of plan.leave) {
      const slot = this.chunks.get(chunkKey(cx, cy));
      if (!slot) continue;
      this.chunks.delete(slot.key);
      slot.leaving = true;
      this.context.recorder.count("chunk.leaves");
      if (slot.room) void this.leaveWhenAnswered(slot.room); // still joining: left when the join completes
    }
    const now = Date.now();
    for (const { cx, cy } of plan.join) {
      const key = chunkKey(cx, cy);
      if ((this.joinRetryAt.get(key) ?? 0) > now) continue;
      void this.joinChunk(cx, cy);
    }
  }

  private async joinChunk(cx: number, cy: number): Promise<void> {
    const { recorder } = this.context;
    const key = chunkKey(cx, cy);
    const slot: ChunkSlot = { key, cx, cy, room: undefined, baselined: false, leaving: false };
    this.chunks.set(key, slot);
    void this.fetchTerrain(cx, cy);
    recorder.joinAttempted("chunk");
    const started = performance.now();
    let room: Room;
    try {
      room = await this.client.joinOrCreate(RoomName.CHUNK, { cx, cy });
    } catch (error) {
      if (this.chunks.get(key) === slot) this.chunks.delete(key);
      if (this.stopped) return;
      const { reason, refused } = classifyJoinError(error);
      recorder.joinFailed("chunk", reason, refused);
      this.joinRetryAt.set(key, Date.now() + JOIN_RETRY_MS);
      return;
    }
    recorder.joinSucceeded("chunk", performance.now() - started);
    slot.room = room;
    this.wireChunkRoom(slot, room);
    if (slot.leaving || this.stopped) await leaveRoom(room);
  }

  private wireChunkRoom(slot: ChunkSlot, room: Room): void {
    const { recorder } = this.context;
    room.onMessage(ServerMessage.RESULT, (message: ResultMessage) => this.onResult(message));
    room.onMessage(ServerMessage.EVENT, (event: { type?: string }) => recorder.count(`event.${event?.type ?? "unknown"}`));
    room.onMessage("*", (type: string | number) => recorder.count(`message.${String(type)}`));

    // Raw decoder changes rather than a callback per land: one closure per room, however many lands it holds.
    const decoder = (room as unknown as { serializer?: { decoder?: object } }).serializer?.decoder;
    if (decoder) {
      Callbacks.getRawChanges(decoder as never, (changes: RawChange[]) => {
        for (const change of changes) if (typeof change.value === "string") flattenString(change.value);
        if (slot.baselined) this.observeChanges(changes);
      });
    }
    // The first (full) state is decoded before this signal fires: every change after it is a broadcast.
    room.onStateChange.once(() => {
      slot.baselined = true;
    });
    room.onDrop(() => recorder.count("chunk.drops_reconnecting"));
    room.onLeave((code: number) => {
      this.failPending(room);
      if (slot.leaving || this.stopped) return;
      recorder.dropped("chunk", code);
      if (this.chunks.get(slot.key) === slot) this.chunks.delete(slot.key);
      this.joinRetryAt.set(slot.key, Date.now() + JOIN_RETRY_MS);
    });
  }

  /**
   * Lands of a joined chunk that were added or changed in a patch: arrival −
   * commit time (`updated_at_ms`) is the broadcast latency. Every land change
   * sets a new `updated_at_ms`, so that one field marks each change once.
   */
  private observeChanges(changes: RawChange[]): void {
    const now = Date.now();
    for (const change of changes) {
      let land: LandState | undefined;
      if (change.field === "updated_at_ms") {
        if (change.previousValue !== undefined && (change.value as number) > (change.previousValue as number)) land = change.ref as LandState;
      } else if (change.dynamicIndex !== undefined && change.previousValue === undefined && isLand(change.value)) {
        land = change.value; // a land added to the chunk's map (bought, or listed for the first time)
      }
      if (!land || !(land.updated_at_ms > 0)) continue;
      const own = this.ownChanges.get(`${land.x},${land.y}`);
      if (own !== undefined && now - own < OWN_CHANGE_WINDOW_MS) {
        this.context.recorder.count("broadcast.own_changes_not_counted");
        continue;
      }
      this.context.recorder.landBroadcast(now - land.updated_at_ms);
    }
  }

  // --------------------------------------------------------------------------
  // Terrain over HTTP

  private async fetchTerrain(cx: number, cy: number): Promise<void> {
    const { recorder } = this.context;
    const { target } = this;
    const key = chunkKey(cx, cy);
    const cached = this.terrain.get(key);
    if (cached && Date.now() - cached.fetchedAtMs < cached.maxAgeMs) {
      recorder.count("terrain.fresh_in_cache");
      return;
    }
    const headers: Record<string, string> = {};
    if (cached?.etag) headers["if-none-match"] = cached.etag;
    const started = performance.now();
    try {
      const response = await fetch(`${target.httpUrl}/world/chunks/${cx}/${cy}`, { headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      const maxAgeMs = maxAgeOf(response.headers.get("cache-control"));
      if (response.status === 304 && cached) {
        await response.arrayBuffer();
        recorder.http("chunk_terrain", performance.now() - started, 304, 0);
        cached.fetchedAtMs = Date.now();
        cached.maxAgeMs = maxAgeMs;
        return;
      }
      const text = await response.text();
      recorder.http("chunk_terrain", performance.now() - started, response.status, Buffer.byteLength(text));
      if (response.status !== 200) return;
      const packed = JSON.parse(text) as PackedChunk;
      const unpacked = unpackChunk(packed); // checks the shape as well
      this.terrain.delete(key);
      this.terrain.set(key, { ...unpacked, etag: response.headers.get("etag"), fetchedAtMs: Date.now(), maxAgeMs });
      if (this.terrain.size > TERRAIN_CACHE_CHUNKS) this.terrain.delete(this.terrain.keys().next().value!);
    } catch (error) {
      if (this.stopped) return;
      recorder.count("terrain.errors");
      recorder.result("http.chunk_terrain", `error: ${(error as Error).message}`.slice(0, 80));
    }
  }

  /** A land's world price from the cached terrain, if its chunk was fetched. */
  private landPrice(x: number, y: number): number | undefined {
    const { cx, cy } = chunkOfLand(x, y, this.context.world);
    const entry = this.terrain.get(chunkKey(cx, cy));
    if (!entry) return undefined;
    const biome = entry.biomes[entry.biome[landIndex(entry, x, y)] ?? -1];
    return biome === undefined ? undefined : entry.priceByBiome[biome];
  }

  private async refreshBalance(): Promise<void> {
    const { recorder } = this.context;
    const { target } = this;
    const started = performance.now();
    try {
      const response = await fetch(`${target.httpUrl}/me`, {
        headers: { authorization: `Bearer ${this.account.token}` },
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      const text = await response.text();
      recorder.http("me", performance.now() - started, response.status, Buffer.byteLength(text));
      if (response.ok) {
        const { user } = JSON.parse(text) as { user: { balance_bdt: number; held_bdt: number } };
        this.balanceBdt = user.balance_bdt - user.held_bdt;
      }
    } catch (error) {
      if (!this.stopped) {
        recorder.count("me.errors");
        recorder.result("http.me", `error: ${(error as Error).message}`.slice(0, 80));
      }
    }
    this.balanceReadAt = Date.now();
    this.balanceStale = false;
  }

  // --------------------------------------------------------------------------
  // Acting

  private async actLoop(): Promise<void> {
    const { scenario, thinkMedianMs, recorder } = this.context;
    while (!this.stopped) {
      if (!(await this.sleep(logNormal(this.random, thinkMedianMs, THINK_SIGMA)))) return;
      const sinceBalance = Date.now() - this.balanceReadAt;
      if (sinceBalance > ME_REFRESH_MS || (this.balanceStale && sinceBalance > 5_000)) await this.refreshBalance();
      if (this.stopped) return;
      const intent = pickWeighted(this.random, scenario.weights);
      recorder.count(`intent.${intent}`);
      await this.perform(intent);
    }
  }

  /** Does `intent`, or what would make it possible next time. */
  private async perform(intent: Intent): Promise<void> {
    switch (intent) {
      case "idle":
        return;
      case "buy":
        await this.tryBuy();
        return;
      case "fence":
        if (!(await this.tryFence())) await this.tryBuy();
        return;
      case "set_message":
        if (!(await this.trySetMessage())) await this.tryBuy();
        return;
      case "list":
        if (!(await this.tryList(false))) await this.tryBuy();
        return;
      case "cancel_listing":
        if (!(await this.tryCancel()) && !(await this.tryList(false))) await this.tryBuy();
        return;
      case "buy_listing":
        if (!(await this.tryBuyListing()) && !(await this.tryBid())) await this.tryBuy();
        return;
      case "bid":
        if (!(await this.tryBid()) && !(await this.tryList(true))) await this.tryBuy();
        return;
      case "chat":
        if (!(await this.tryChat())) await this.tryBuy();
        return;
    }
  }

  private readySlot(cx: number, cy: number): ChunkSlot | undefined {
    const slot = this.chunks.get(chunkKey(cx, cy));
    return slot?.room && slot.baselined && !slot.leaving ? slot : undefined;
  }

  /** Lands of the chunk rooms this player has joined. */
  private visibleLands(): Array<{ slot: ChunkSlot; land: LandState }> {
    const lands: Array<{ slot: ChunkSlot; land: LandState }> = [];
    for (const slot of this.chunks.values()) {
      if (!slot.room || !slot.baselined || slot.leaving) continue;
      const map = (slot.room.state as { lands?: Map<string, LandState> } | undefined)?.lands;
      map?.forEach((land) => lands.push({ slot, land }));
    }
    return lands;
  }

  private myLands(filter: (land: LandState) => boolean = () => true) {
    return this.visibleLands().filter(({ land }) => land.owner_id === this.account.userId && land.land_id !== "" && filter(land));
  }

  private async tryBuy(): Promise<boolean> {
    const { world } = this.context;
    const here = chunkOfLand(Math.floor(this.x), Math.floor(this.y), world);
    const slot = this.readySlot(here.cx, here.cy);
    if (!slot) return false;
    const lands = (slot.room!.state as { lands: Map<string, LandState> }).lands;
    const size = world.chunkSize;
    for (let attempt = 0; attempt < 8; attempt++) {
      const x = clamp(Math.floor(this.x) + randomInt(this.random, -6, 6), here.cx * size, Math.min(world.width, (here.cx + 1) * size) - 1);
      const y = clamp(Math.floor(this.y) + randomInt(this.random, -6, 6), here.cy * size, Math.min(world.height, (here.cy + 1) * size) - 1);
      const key = `${x},${y}`;
      if (lands.has(key)) continue;
      const price = this.landPrice(x, y);
      if (price !== undefined && price > this.balanceBdt) {
        this.context.recorder.count("skipped.buy_unaffordable");
        this.balanceStale = true;
        return false;
      }
      const outcome = await this.send(slot.room!, ChunkMessage.BUY, { x, y }, key);
      if (outcome.code === PseudoCode.OK && price !== undefined) this.balanceBdt -= price;
      return true;
    }
    return false;
  }

  private async tryFence(): Promise<boolean> {
    const choice = pick(this.random, this.myLands());
    if (!choice) return false;
    const { land, slot } = choice;
    const passcode = land.fenced && this.random() < 0.2 ? null : String(randomInt(this.random, 0, 9999)).padStart(4, "0");
    const outcome = await this.send(slot.room!, ChunkMessage.FENCE, { x: land.x, y: land.y, passcode }, `${land.x},${land.y}`);
    if (outcome.code === PseudoCode.OK) {
      if (passcode === null) this.context.passcodes.delete(land.land_id);
      else this.context.passcodes.set(land.land_id, passcode);
    }
    return true;
  }

  private async trySetMessage(): Promise<boolean> {
    const choice = pick(this.random, this.myLands());
    if (!choice) return false;
    const { land, slot } = choice;
    const text = this.random() < 0.1 ? "" : `${pick(this.random, SIGN_WORDS)} ${randomInt(this.random, 1, 999)}`.slice(0, MAX_PUBLIC_MESSAGE_LENGTH);
    await this.send(slot.room!, ChunkMessage.SET_MESSAGE, { x: land.x, y: land.y, text }, `${land.x},${land.y}`);
    return true;
  }

  private async tryList(auctionOnly: boolean): Promise<boolean> {
    const choice = pick(this.random, this.myLands((land) => !land.for_sale));
    if (!choice) return false;
    const { land, slot } = choice;
    const base = this.landPrice(land.x, land.y) ?? 1000;
    const auction = auctionOnly || this.random() < this.context.scenario.auctionShare;
    let terms: Record<string, unknown>;
    if (auction) {
      const start = Math.max(1, Math.round(base * (0.3 + 0.5 * this.random())));
      terms = { type: "auction", price_bdt: start, duration_s: randomInt(this.random, 20, 90), auto_extend: true, auto_extend_s: 10 };
      if (this.random() < 0.3) terms.reserve_price_bdt = Math.round(start * 1.5);
      if (this.random() < 0.2) terms.buy_now_price_bdt = Math.round(start * 3);
    } else {
      terms = { type: this.random() < 0.5 ? "fixed_price" : "buy_now", price_bdt: Math.round(base * (1.05 + 0.6 * this.random())) };
    }
    await this.send(slot.room!, ChunkMessage.LIST, { x: land.x, y: land.y, ...terms }, `${land.x},${land.y}`);
    return true;
  }

  private async tryCancel(): Promise<boolean> {
    const choice = pick(
      this.random,
      this.myLands((land) => land.for_sale && land.listing_id !== "" && (land.listing_type !== "auction" || land.highest_bid_bdt === 0)),
    );
    if (!choice) return false;
    const { land, slot } = choice;
    await this.send(slot.room!, ChunkMessage.CANCEL_LISTING, { listing_id: land.listing_id }, `${land.x},${land.y}`);
    return true;
  }

  private async tryBuyListing(): Promise<boolean> {
    const offers = this.visibleLands().filter(
      ({ land }) =>
        land.for_sale &&
        land.listing_id !== "" &&
        (land.listing_type === "fixed_price" || land.listing_type === "buy_now") &&
        land.owner_id !== this.account.userId &&
        land.price_bdt <= this.balanceBdt,
    );
    const choice = pick(this.random, offers);
    if (!choice) return false;
    const { land, slot } = choice;
    const outcome = await this.send(slot.room!, ChunkMessage.BUY_LISTING, { listing_id: land.listing_id }, `${land.x},${land.y}`);
    if (outcome.code === PseudoCode.OK) this.balanceBdt -= land.price_bdt;
    return true;
  }

  private async tryBid(): Promise<boolean> {
    const now = Date.now();
    const auctions = this.visibleLands().filter(
      ({ land }) =>
        land.for_sale &&
        land.listing_type === "auction" &&
        land.listing_id !== "" &&
        land.owner_id !== this.account.userId &&
        land.highest_bidder_id !== this.account.userId &&
        land.auction_end_ms > now + 1_500 &&
        land.min_bid_bdt > 0 &&
        land.min_bid_bdt <= this.balanceBdt,
    );
    const choice = pick(this.random, auctions);
    if (!choice) return false;
    const { land, slot } = choice;
    // A bid is the bidder's maximum (proxy bidding): sometimes exactly the minimum, sometimes a little more.
    const extra = this.random() < 0.5 ? 0 : Math.round(land.min_bid_bdt * 0.2 * this.random());
    const amount = Math.min(this.balanceBdt, land.min_bid_bdt + extra);
    const outcome = await this.send(slot.room!, ChunkMessage.BID, { listing_id: land.listing_id, amount_bdt: amount }, `${land.x},${land.y}`);
    if (outcome.code === ErrorCode.INSUFFICIENT_FUNDS) this.balanceStale = true;
    return true;
  }

  // --------------------------------------------------------------------------
  // Land chat

  private async tryChat(): Promise<boolean> {
    const chat = this.chat;
    if (chat && !chat.leaving) {
      await this.sendChatMessage(chat);
      if (--chat.remaining <= 0) {
        chat.leaving = true;
        this.chat = undefined;
        await leaveRoom(chat.room);
      }
      return true;
    }
    return this.joinChat();
  }

  private async joinChat(): Promise<boolean> {
    const { recorder, passcodes, scenario } = this.context;
    const me = this.account.userId;
    const lands = this.visibleLands()
      .map(({ land }) => land)
      .filter((land) => land.land_id !== "" && land.owner_id !== "");
    const own = lands.filter((land) => land.owner_id === me);
    const open = lands.filter((land) => land.owner_id !== me && (!land.fenced || passcodes.has(land.land_id)));
    const land = own.length > 0 && (open.length === 0 || this.random() < 0.4) ? pick(this.random, own) : pick(this.random, open);
    if (!land) return false;
    const options: { land_id: string; passcode?: string } = { land_id: land.land_id };
    if (land.owner_id !== me && land.fenced) options.passcode = passcodes.get(land.land_id)!;
    recorder.joinAttempted("land_chat");
    const started = performance.now();
    let room: Room;
    try {
      room = await this.client.joinOrCreate(RoomName.LAND_CHAT, options);
    } catch (error) {
      if (this.stopped) return true;
      const { reason, refused } = classifyJoinError(error);
      recorder.joinFailed("land_chat", reason, refused);
      return true;
    }
    recorder.joinSucceeded("land_chat", performance.now() - started);
    const session: ChatSession = { room, landId: land.land_id, remaining: randomInt(this.random, ...scenario.chatBurst), leaving: false };
    this.wireChatRoom(session);
    if (this.stopped) {
      session.leaving = true;
      await leaveRoom(room);
      return true;
    }
    this.chat = session;
    return true;
  }

  private wireChatRoom(session: ChatSession): void {
    const { recorder, keyring } = this.context;
    const { room } = session;
    room.onMessage(ServerMessage.RESULT, (message: ResultMessage) => this.onResult(message));
    room.onMessage(ChatServerMessage.HISTORY, (history: { messages?: unknown[] }) => recorder.count("chat.history_messages", history?.messages?.length ?? 0));
    room.onMessage(ChatServerMessage.DELETED, () => recorder.count("chat.deleted"));
    room.onMessage(ChatServerMessage.MSG, (message: ChatMessageView) => {
      if (message.sender_id === this.account.userId) return;
      const created = Date.parse(message.created_at);
      if (Number.isFinite(created)) recorder.chatBroadcast(Date.now() - created);
      // Read it as a client would; a tag that does not verify means a wrong key or altered bytes.
      void keyring
        .get(session.landId)
        .then((key) => decryptText(key, message.ciphertext, message.iv))
        .then(
          () => recorder.count("chat.decrypted"),
          () => recorder.count("chat.decrypt_failures"),
        );
    });
    room.onMessage("*", (type: string | number) => recorder.count(`message.${String(type)}`));
    room.onLeave((code: number) => {
      this.failPending(room);
      if (this.chat === session) this.chat = undefined;
      if (session.leaving || this.stopped) return;
      if (code === CHAT_ACCESS_REVOKED_CLOSE_CODE) recorder.count("chat.access_revoked");
      else recorder.dropped("land_chat", code);
    });
  }

  private async sendChatMessage(session: ChatSession): Promise<void> {
    const key = await this.context.keyring.get(session.landId);
    const words = randomInt(this.random, 1, 12);
    const text = Array.from({ length: words }, () => pick(this.random, CHAT_WORDS)).join(" ");
    const { ciphertext, iv } = await encryptText(key, text);
    if (this.stopped || session.leaving) return;
    await this.send(session.room, ChatMessage.MSG, { ciphertext, iv, v: ENCRYPTION_VERSION, type: "text" }, undefined, "chat_msg");
  }

  // --------------------------------------------------------------------------
  // Requests and results

  /** Sends a message with a fresh `req` and waits for its `result` (or the action timeout). */
  private send(room: Room, type: string, payload: Record<string, unknown>, landKey?: string, label = type): Promise<Outcome> {
    const { recorder, runTag, actionTimeoutMs } = this.context;
    const req = `${runTag}-${this.account.index}-${++this.sequence}`;
    if (landKey) this.ownChanges.set(landKey, Date.now());
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(req)) return;
        recorder.action(label, PseudoCode.TIMEOUT, null);
        resolve({ code: PseudoCode.TIMEOUT });
      }, actionTimeoutMs);
      this.pending.set(req, { label, sentAt: performance.now(), room, landKey, timer, resolve });
      try {
        room.send(type, { req, ...payload });
      } catch {
        this.settle(req, PseudoCode.CONNECTION_CLOSED, null);
      }
    });
  }

  private onResult(message: ResultMessage): void {
    const pending = message && this.pending.get(message.req);
    if (!pending) {
      this.context.recorder.count("result.unmatched");
      return;
    }
    this.settle(message.req, message.ok ? PseudoCode.OK : message.error.code, performance.now() - pending.sentAt, message.ok ? message.data : undefined);
  }

  private settle(req: string, code: string, latencyMs: number | null, data?: unknown): void {
    const pending = this.pending.get(req);
    if (!pending) return;
    this.pending.delete(req);
    clearTimeout(pending.timer);
    // The patch of one's own change comes just after the result: do not count it as reaching "another" client.
    if (pending.landKey) this.ownChanges.set(pending.landKey, Date.now());
    this.context.recorder.action(pending.label, code, latencyMs);
    pending.resolve({ code, data });
  }

  /**
   * Leaves a chunk room the player walked away from once the actions it sent
   * there are answered: a player who closed the room under its own action
   * would count that action as lost (`connection_closed`) although the server
   * did nothing wrong. No new action goes to a room being left; an action
   * left unanswered still ends as a timeout.
   */
  private async leaveWhenAnswered(room: Room): Promise<void> {
    const waiting = () => [...this.pending.values()].some((pending) => pending.room === room);
    while (waiting() && !this.stopped) await new Promise((resolve) => setTimeout(resolve, 50));
    await leaveRoom(room);
  }

  private failPending(room: Room): void {
    if (this.stopped) return;
    for (const [req, pending] of this.pending) {
      if (pending.room === room) this.settle(req, PseudoCode.CONNECTION_CLOSED, null);
    }
  }

  /** Waits, or returns false at once when the player is stopped. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      this.abort.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** Join refusals the contract answers in normal play (not failures of the connection). */
const REFUSALS: ReadonlySet<string> = new Set([ErrorCode.WRONG_PASSCODE, ErrorCode.LOCKED_OUT, ErrorCode.NOT_FOUND]);

/** A failed join: the contract's error code when the server refused it, else the error's text. */
export function classifyJoinError(error: unknown): { reason: string; refused: boolean } {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = `${typeof code === "number" ? `${code} ` : ""}${message}`.trim() || "unknown error";
  return { reason: REFUSALS.has(message) ? message : reason, refused: REFUSALS.has(message) };
}

/** Leaves a room, giving up (and closing the socket) if the server does not confirm within a few seconds. */
async function leaveRoom(room: Room): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      room.leave(true),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, LEAVE_TIMEOUT_MS);
      }),
    ]);
  } catch {
    // the socket was already closed
  } finally {
    clearTimeout(timer);
  }
  try {
    if (room.connection?.isOpen) room.connection.close();
  } catch {
    // already closed
  }
}

function maxAgeOf(cacheControl: string | null): number {
  const match = cacheControl ? /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl) : null;
  return match ? Number(match[1]) * 1000 : 0;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
