import { Room, type AuthContext, type Client } from "@colyseus/core";
import { AppError, invalidInput, toErrorBody, unauthenticated } from "../src/errors.js";
import { ErrorCode } from "../src/protocol/error-codes.js";
import {
  CHUNK_SIZE,
  chunkJoinOptions,
  chunkMessageSchemas,
  chunkRoomId,
  reqSchema,
  ServerMessage,
  FLOOD_CLOSE_CODE,
  RECONNECT_CLOSE_CODE,
  SERVER_RESTARTING_EVENT,
  SHUTDOWN_NOTICE_MS,
  type ChunkMessage,
  type ChunkMessagePayload,
  type ResultMessage,
} from "../src/protocol/room-messages.js";
import { chunkExists } from "../src/domain/world/index.js";
import { FloodDetector } from "../src/domain/chat/index.js";
import type { AuthenticatedUser } from "../src/services/accounts-service.js";
import { landChangesChannel, type LandChangeMessage, type ListingPatch } from "../src/services/land-changes.js";
import { toLandView, type LandView } from "../src/services/land-view.js";
import type { StoredOutcome } from "../src/services/request-results.js";
import { describeIssues } from "../src/http/validation.js";
import { joinRefusal, refusalFor } from "./room-auth.js";
import { assertTokenCurrent, authenticateJoin, whenTokenExpires } from "./room-auth.js";
import { roomServices } from "./room-services.js";
import { wildcardMessage } from "./wildcard-message.js";
import { followUserEvents, loginKeyOf } from "./user-events-relay.js";
import { ChunkState, LandState } from "./schema/ChunkState.js";

/**
 * A hot auction's new price is sent at once when the room has not patched for
 * this long, instead of waiting up to a patch interval for the next tick; a
 * busier auction falls back to the tick.
 */
const MIN_EAGER_PATCH_GAP_MS = 10;

type ChunkClient = Client<{ auth: AuthenticatedUser | { anonymous: true } }>;
type ActionHandler<T extends ChunkMessage> = (user: AuthenticatedUser, payload: ChunkMessagePayload<T>) => Promise<StoredOutcome>;
/** A message that passed validation: its type, its sender and its parsed payload. */
type ValidAction = { type: ChunkMessage; user: AuthenticatedUser; payload: ChunkMessagePayload<ChunkMessage> };

/**
 * One room per 32×32 chunk, the same across every server process (its id is
 * `chunk_{cx}_{cy}`). Its state is the overlay of owned or listed lands,
 * loaded from PostgreSQL when the room is created and then kept current by
 * committed changes announced on the presence channel, whoever committed them.
 * Anyone may watch; actions need a token. Every message gets exactly one
 * `result`, malformed and unknown ones included.
 */
export class ChunkRoom extends Room<{ state: ChunkState }> {
  override state = new ChunkState();
  override autoDispose = true;
  private x0 = 0;
  private y0 = 0;

  private readonly unfollowUserEvents = new Map<string, () => void>();
  private readonly floods = new Map<string, FloodDetector>();
  private ready: Promise<void> | undefined;
  /** Set when a land changes; the next patch tick sends it. */
  private stateChanged = false;
  private lastPatchAt = 0;

  private readonly actions: { [T in ChunkMessage]: ActionHandler<T> } = {
    buy: (user, { req, x, y }) => roomServices().purchases.buy({ userId: user.userId, username: user.username, req, x, y }),
    fence: (user, { req, x, y, passcode }) => roomServices().landOwner.fence(user, req, x, y, passcode),
    set_message: (user, { req, x, y, text }) => roomServices().landOwner.setMessage(user, req, x, y, text),
    list: (user, { req, x, y, ...terms }) => roomServices().market.list(user, req, x, y, terms),
    cancel_listing: (user, { req, listing_id }) => roomServices().market.cancel(user, req, listing_id),
    buy_listing: (user, { req, listing_id }) =>
      roomServices().purchases.buyListing({ userId: user.userId, username: user.username, req, listingId: listing_id }),
    bid: (user, { req, listing_id, amount_bdt }) => roomServices().market.bid(user, req, listing_id, amount_bdt),
  };

  static override async onAuth(token: string, _options: unknown, _context: AuthContext) {
    const user = await authenticateJoin(token, true);
    return user ? { ...user, loginKey: loginKeyOf(token) } : { anonymous: true };
  }

  override async onCreate(options: unknown) {
    const services = roomServices();
    const parsed = chunkJoinOptions.safeParse(options);
    if (!parsed.success) throw joinRefusal(ErrorCode.INVALID_INPUT);
    const { cx, cy } = parsed.data;
    const { world } = await services.worldConfig.current();
    if (!chunkExists(world, cx, cy)) throw joinRefusal(ErrorCode.NOT_FOUND);

    this.roomId = chunkRoomId(cx, cy);
    this.state.cx = cx;
    this.state.cy = cy;
    this.x0 = cx * CHUNK_SIZE;
    this.y0 = cy * CHUNK_SIZE;
    // 25 ms: a committed change reaches clients within ~one patch interval; with nothing changed a tick costs almost nothing.
    this.setPatchRate(25);
    this.onMessage("*", (client, typeOrMessage, messageOrContext) => {
      const { type, message } = wildcardMessage(typeOrMessage, messageOrContext);
      this.receive(client as ChunkClient, type, message);
    });

  }

  /**
   * Subscribes to the chunk's land changes, then loads its overlay. Run at the
   * first join, not in onCreate: processes racing to create the same chunk
   * all run onCreate, and only the winner's room ever gets a client.
   * Subscribing before loading means no change committed meanwhile is missed;
   * each land keeps whichever version is newer.
   */
  private initialize(): Promise<void> {
    this.ready ??= (async () => {
      const services = roomServices();
      await this.presence.subscribe(landChangesChannel(this.state.cx, this.state.cy), (message: LandChangeMessage) =>
        this.onLandChange(message),
      );
      const rows = await services.lands.listOverlayInRect(services.pool, this.x0, this.y0, this.x0 + CHUNK_SIZE, this.y0 + CHUNK_SIZE);
      for (const row of rows) this.applyLand(toLandView(row));
      services.metrics.rooms.labels("chunk").inc();
    })().catch((error: unknown) => {
      this.ready = undefined; // the next join tries again
      throw refusalFor(error);
    });
    return this.ready;
  }

  override async onJoin(client: ChunkClient) {
    await this.initialize();
    const services = roomServices();
    services.metrics.clients.labels("chunk").inc();
    if (client.auth && "userId" in client.auth) {
      const user = client.auth as AuthenticatedUser & { loginKey: string };
      const unfollow = followUserEvents(services.presence, user.userId, user.loginKey, client);
      // The user's own events (outbid, sold, …) are for a session whose token is still valid.
      const cancelExpiry = whenTokenExpires(user, () => stopFollowing());
      const stopFollowing = () => {
        cancelExpiry();
        unfollow();
        this.unfollowUserEvents.delete(client.sessionId);
      };
      this.unfollowUserEvents.set(client.sessionId, stopFollowing);
    }
  }

  override onLeave(client: ChunkClient) {
    roomServices().metrics.clients.labels("chunk").dec();
    this.unfollowUserEvents.get(client.sessionId)?.();
    this.floods.delete(client.sessionId);
  }

  /**
   * Most chunk rooms are idle most of the time, and every one of them ticks
   * its patch interval 40 times a second: with 2,000 live rooms the ticks
   * alone took a quarter of a core and doubled join latency (bench
   * `matchmaking`). A tick with no land changed since the last one sends
   * nothing, so it skips the encoder's change check and flushes. Only
   * applyLand and applyListing change the state after onCreate. (A skipped
   * tick also skips the room clock and `afterNextPatch` broadcasts; this room
   * uses neither.)
   */
  override broadcastPatch(): boolean {
    if (!this.stateChanged) return false;
    this.stateChanged = false;
    this.lastPatchAt = performance.now();
    return super.broadcastPatch();
  }

  override onDispose() {
    if (this.ready) roomServices().metrics.rooms.labels("chunk").dec();
  }

  /** A process stopping tells its clients to join again (another process will host the chunk). */
  override onBeforeShutdown() {
    this.broadcast(ServerMessage.EVENT, SERVER_RESTARTING_EVENT);
    // A moment for the event to reach every client before the sockets close
    // (the match maker waits for the rooms to dispose).
    setTimeout(() => void this.disconnect(RECONNECT_CLOSE_CODE).catch(() => undefined), SHUTDOWN_NOTICE_MS);
  }

  override onUncaughtException(error: unknown, method: string) {
    roomServices().logger.error({ err: error, method, roomId: this.roomId }, "chunk room handler failed");
  }

  private onLandChange(message: LandChangeMessage): void {
    if (message.land) this.applyLand(message.land);
    for (const land of message.lands ?? []) this.applyLand(land);
    if (message.listing) this.applyListing(message.listing);
    for (const event of message.events ?? []) this.broadcast(ServerMessage.EVENT, event);
  }

  /** Sets the auction fields of a land the room shows, unless it holds a newer version. */
  private applyListing(patch: ListingPatch): void {
    this.stateChanged = true;
    const land = this.state.lands.get(`${patch.x},${patch.y}`);
    if (!land || land.updated_at_ms > patch.updated_at_ms || land.listing_id !== patch.listing_id) return;
    Object.assign(land, patch);
    if (performance.now() - this.lastPatchAt >= MIN_EAGER_PATCH_GAP_MS) this.broadcastPatch();
  }

  /** Sets a land's state unless the room already holds a newer version of it. */
  private applyLand(view: LandView): void {
    this.stateChanged = true;
    const key = `${view.x},${view.y}`;
    const current = this.state.lands.get(key);
    if (current && current.updated_at_ms > view.updated_at_ms) return;
    const land = current ?? new LandState();
    Object.assign(land, view);
    if (!current) this.state.lands.set(key, land);
  }

  /**
   * Every message counts toward the sender's rate limit (shared by all
   * processes through Redis); a connection that keeps flooding far beyond it is
   * dropped instead of being answered RATE_LIMITED for ever.
   */
  private receive(client: ChunkClient, type: string, message: unknown): void {
    const services = roomServices();
    let flood = this.floods.get(client.sessionId);
    if (!flood) {
      flood = FloodDetector.forLimit(services.chunkRateLimiter.limits);
      this.floods.set(client.sessionId, flood);
    }
    if (flood.record(Date.now())) {
      services.logger.warn({ roomId: this.roomId, sessionId: client.sessionId }, "dropped a chunk connection for flooding");
      client.leave(FLOOD_CLOSE_CODE, "flooding");
      return;
    }
    void this.dispatch(client, type, message);
  }

  /**
   * Validates (synchronously, no I/O), then takes the message's price from the
   * sender's budget: a message that will act costs its type's price, one that
   * is refused costs the price of a parse. Over budget, the answer is
   * RATE_LIMITED whatever the message was.
   */
  private async dispatch(client: ChunkClient, type: string, message: unknown): Promise<void> {
    const services = roomServices();
    const started = performance.now();
    const req = extractReq(message);
    let result: ResultMessage;
    try {
      let action: ValidAction | undefined;
      let refusal: unknown;
      try {
        action = this.validate(client, type, message);
      } catch (error) {
        refusal = error;
      }
      const limitKey = client.auth && "userId" in client.auth ? client.auth.userId : `session:${client.sessionId}`;
      if (!(await services.chunkRateLimiter.take(limitKey, action?.type))) {
        throw new AppError(ErrorCode.RATE_LIMITED, "Too many messages; slow down.");
      }
      if (!action) throw refusal;
      const handler = this.actions[action.type] as ActionHandler<ChunkMessage>;
      result = { req, ...(await handler(action.user, action.payload)) };
    } catch (error) {
      if (!(error instanceof AppError)) services.logger.error({ err: error, type }, "chunk action failed");
      result = { req, ok: false, error: toErrorBody(error) };
    }
    const label = Object.hasOwn(chunkMessageSchemas, type) ? type : "unknown";
    services.metrics.roomMessages.labels("chunk", label, result.ok ? "ok" : result.error.code).inc();
    services.metrics.actionDuration.labels(label).observe((performance.now() - started) / 1000);
    client.send(ServerMessage.RESULT, result);
  }

  /**
   * The message as an action this client may attempt here.
   * @throws AppError INVALID_INPUT (unknown type, bad payload, a land outside this chunk), UNAUTHENTICATED.
   */
  private validate(client: ChunkClient, type: string, message: unknown): ValidAction {
    if (!Object.hasOwn(chunkMessageSchemas, type)) throw invalidInput(`Unknown message type "${type.slice(0, 40)}".`);
    const messageType = type as ChunkMessage;
    const parsed = chunkMessageSchemas[messageType].safeParse(message);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error));
    const user = client.auth && "userId" in client.auth ? client.auth : null;
    if (!user) throw unauthenticated("Log in to act; watching needs no token.");
    assertTokenCurrent(user); // watching goes on after the token expires; acting does not
    const payload = parsed.data as { x?: number; y?: number };
    if (payload.x !== undefined && payload.y !== undefined && !this.containsLand(payload.x, payload.y)) {
      throw invalidInput(`(${payload.x}, ${payload.y}) is not in chunk (${this.state.cx}, ${this.state.cy}).`);
    }
    return { type: messageType, user, payload: parsed.data };
  }

  private containsLand(x: number, y: number): boolean {
    return x >= this.x0 && x < this.x0 + CHUNK_SIZE && y >= this.y0 && y < this.y0 + CHUNK_SIZE;
  }
}

/** The `req` of a message if it has a valid one, `""` otherwise (PROTOCOL.md). */
function extractReq(message: unknown): string {
  if (message && typeof message === "object" && "req" in message) {
    const parsed = reqSchema.safeParse((message as { req: unknown }).req);
    if (parsed.success) return parsed.data;
  }
  return "";
}
