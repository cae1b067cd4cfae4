import { Room, type AuthContext, type Client } from "@colyseus/core";
import { AppError, invalidInput, toErrorBody, unauthenticated } from "../src/errors.js";
import { ErrorCode } from "../src/protocol/error-codes.js";
import {
  CHAT_ACCESS_REVOKED_CLOSE_CODE,
  CHAT_TOKEN_EXPIRED_CLOSE_CODE,
  CHAT_FLOOD_CLOSE_CODE,
  ChatServerMessage,
  chatMessageSchemas,
  landChatJoinOptions,
  landChatRoomId,
  reqSchema,
  ServerMessage,
  type ChatMessage,
  type ChatMessagePayload,
  type ChatMessageView,
  type ResultMessage,
} from "../src/protocol/room-messages.js";
import { CHUNK_SIZE, RECONNECT_CLOSE_CODE, SERVER_RESTARTING_EVENT, SHUTDOWN_NOTICE_MS } from "../src/protocol/room-messages.js";
import { FloodDetector, HISTORY_ON_JOIN } from "../src/domain/chat/index.js";
import type { AuthenticatedUser } from "../src/services/accounts-service.js";
import type { ChatAccessVia, LandAccessState } from "../src/services/chat-access-service.js";
import { loggableError } from "../src/services/chat-message-store.js";
import type { ParticipantCounter } from "../src/services/chat-sessions.js";
import { landChangesChannel, type LandChangeMessage } from "../src/services/land-changes.js";
import type { StoredOutcome } from "../src/services/request-results.js";
import { describeIssues } from "../src/http/validation.js";
import { assertTokenCurrent, authenticateJoin, joinRefusal, refusalFor, whenTokenExpires } from "./room-auth.js";
import { roomServices } from "./room-services.js";
import { wildcardMessage } from "./wildcard-message.js";
import { LandChatState } from "./schema/LandChatState.js";

/** Who joined, and the land their admission was checked for (a room must only take members admitted to its own land). */
type ChatAuth = AuthenticatedUser & { via: ChatAccessVia; landId: string };
type ChatClient = Client<{ auth: ChatAuth }>;
type ActionHandler<T extends ChatMessage> = (user: ChatAuth, payload: ChatMessagePayload<T>) => Promise<StoredOutcome>;

/** The room keeps twice what a joiner receives, so deletions rarely send it back to the database. */
const HISTORY_BUFFER = 2 * HISTORY_ON_JOIN;
/** `req`s remembered per room for replaying a repeated message instead of sending it twice. */
const REMEMBERED_REQS = 10_000;

interface Member {
  flood: FloodDetector;
  /** Set when the room has decided to drop the connection: nothing more is read from it. */
  dropping: boolean;
  /** Cancels the drop scheduled for when the member's token expires. */
  cancelExpiry: () => void;
}

const rateLimited = () => new AppError(ErrorCode.RATE_LIMITED, "Too many messages; slow down.");

/**
 * One end-to-end encrypted chat per land, the same room across every server
 * process (its id is `land_chat_<land_id>`). The server relays and stores
 * ciphertext and IVs as the clients send them and never holds a key.
 *
 * Joining needs a token and passes the land's access rule (onAuth, before
 * any room exists). Each `msg` is validated, rate-limited per user, stored
 * in the next batch and, once committed, broadcast to everyone in the room
 * and acknowledged to its sender. Every message received gets exactly one
 * `result`, until a connection is dropped for flooding. The room keeps the
 * last messages in memory, so `history` on join costs no query and never
 * overlaps or misses a broadcast.
 */
export class LandChatRoom extends Room<{ state: LandChatState }> {
  override state = new LandChatState();
  override autoDispose = true;
  private landId = "";
  private sessionId = "";
  private counter: ParticipantCounter | undefined;
  private land: LandAccessState | undefined;
  /** The newest messages that are not deleted, oldest first. */
  private history: ChatMessageView[] = [];
  private mayHaveOlder = false;
  private refilling = false;
  private readonly deletedWhileRefilling = new Set<string>();
  private readonly members = new Map<string, Member>();
  private readonly replies = new Map<string, Promise<StoredOutcome>>();
  private disposed = false;

  private readonly actions: { [T in ChatMessage]: ActionHandler<T> } = {
    msg: (user, payload) => this.remembered(user.userId, payload.req, () => this.relay(user, payload)),
    delete: (user, payload) => this.deleteMessage(user, payload),
  };

  static override async onAuth(token: string, options: unknown, _context: AuthContext): Promise<ChatAuth> {
    const user = (await authenticateJoin(token, false))!;
    const parsed = landChatJoinOptions.safeParse(options);
    if (!parsed.success) throw joinRefusal(ErrorCode.INVALID_INPUT);
    try {
      const admission = await roomServices().chat.access.admit(user.userId, parsed.data.land_id, parsed.data.passcode);
      return { ...user, via: admission.via, landId: admission.landId };
    } catch (error) {
      throw refusalFor(error);
    }
  }

  override async onCreate(options: unknown) {
    try {
      await this.open(options);
    } catch (error) {
      throw refusalFor(error);
    }
  }

  private async open(options: unknown) {
    const services = roomServices();
    const parsed = landChatJoinOptions.safeParse(options);
    if (!parsed.success) throw joinRefusal(ErrorCode.INVALID_INPUT);
    this.landId = parsed.data.land_id;
    this.roomId = landChatRoomId(this.landId);
    this.state.land_id = this.landId;

    // Racing processes may each run this; every step is a read or idempotent.
    const land = await services.chat.access.landState(this.landId);
    const sessionId = land ? await services.chat.sessions.ensureActive(this.landId) : undefined;
    if (!land || !sessionId) throw joinRefusal(ErrorCode.NOT_FOUND);
    this.land = land;
    this.sessionId = sessionId;
    this.counter = services.chat.sessions.participantCounter(sessionId);
    this.onMessage("*", (client, typeOrMessage, messageOrContext) => {
      const { type, message } = wildcardMessage(typeOrMessage, messageOrContext);
      this.receive(client as ChatClient, type, message);
    });

    // Subscribe before loading, so a sale or fence change meanwhile is not missed.
    await this.presence.subscribe(
      landChangesChannel(Math.floor(land.x / CHUNK_SIZE), Math.floor(land.y / CHUNK_SIZE)),
      (message: LandChangeMessage) => {
        if (message.land?.land_id === this.landId) void this.recheckMembers();
      },
    );
    this.history = await services.chat.messages.recent(this.landId, HISTORY_BUFFER);
    this.mayHaveOlder = this.history.length === HISTORY_BUFFER;
    services.metrics.rooms.labels("land_chat").inc();
  }

  override onJoin(client: Client, _options: unknown, auth: ChatAuth) {
    const services = roomServices();
    // joinById lets a client name any room while onAuth checked the land in its options.
    if (auth?.landId !== this.landId) throw joinRefusal(ErrorCode.FORBIDDEN);
    const member: Member = {
      flood: FloodDetector.forLimit(services.chat.rateLimiter.limits),
      dropping: false,
      // Reading the chat is access too, so a member whose token expires is let go, not just refused actions.
      cancelExpiry: whenTokenExpires(auth, () => {
        member.dropping = true;
        client.leave(CHAT_TOKEN_EXPIRED_CLOSE_CODE, "token expired");
      }),
    };
    this.members.set(client.sessionId, member);
    // Queued until the client confirms the join, and before any later broadcast.
    client.send(ChatServerMessage.HISTORY, { messages: this.history.slice(-HISTORY_ON_JOIN) });
    this.countParticipants();
    services.metrics.clients.labels("land_chat").inc();
    services.logger.debug({ landId: this.landId, userId: auth.userId, via: auth.via }, "joined a land chat");
  }

  override onLeave(client: Client) {
    this.members.get(client.sessionId)?.cancelExpiry();
    this.members.delete(client.sessionId);
    this.countParticipants();
    roomServices().metrics.clients.labels("land_chat").dec();
  }

  /** A process stopping tells its clients to join again (another process will host the chat). */
  override onBeforeShutdown() {
    this.broadcast(ServerMessage.EVENT, SERVER_RESTARTING_EVENT);
    // A moment for the event to reach every client before the sockets close
    // (the match maker waits for the rooms to dispose).
    setTimeout(() => void this.disconnect(RECONNECT_CLOSE_CODE).catch(() => undefined), SHUTDOWN_NOTICE_MS);
  }

  override async onDispose() {
    this.disposed = true;
    const services = roomServices();
    services.metrics.rooms.labels("land_chat").dec();
    this.counter?.set(0);
    await this.counter?.settled();
  }

  override onUncaughtException(error: unknown, method: string) {
    roomServices().logger.error({ error: loggableError(error), method, roomId: this.roomId }, "land chat handler failed");
  }

  private countParticipants(): void {
    this.state.participant_count = this.clients.length;
    this.counter?.set(this.clients.length);
  }

  /** Synchronous part of every message: the flood check, then the asynchronous handling. */
  private receive(client: ChatClient, type: string, message: unknown): void {
    const member = this.members.get(client.sessionId);
    if (!member || member.dropping) return;
    const req = extractReq(message);
    if (member.flood.record(Date.now())) {
      member.dropping = true;
      const services = roomServices();
      services.metrics.roomMessages.labels("land_chat", labelOf(type), "FLOODING").inc();
      services.logger.warn({ landId: this.landId, userId: client.auth?.userId }, "dropped a land chat connection for flooding");
      client.send(ServerMessage.RESULT, {
        req,
        ok: false,
        error: { code: ErrorCode.RATE_LIMITED, message: "Far too many messages; disconnecting." },
      } satisfies ResultMessage);
      client.leave(CHAT_FLOOD_CLOSE_CODE, "flooding");
      return;
    }
    void this.dispatch(client, type, message, req);
  }

  private async dispatch(client: ChatClient, type: string, message: unknown, req: string): Promise<void> {
    const services = roomServices();
    const started = performance.now();
    let result: ResultMessage;
    try {
      result = { req, ...(await this.handle(client, type, message)) };
    } catch (error) {
      if (!(error instanceof AppError)) {
        services.logger.error({ error: loggableError(error), type: labelOf(type), landId: this.landId }, "land chat action failed");
      }
      result = { req, ok: false, error: toErrorBody(error) };
    }
    const label = labelOf(type);
    services.metrics.roomMessages.labels("land_chat", label, result.ok ? "ok" : result.error.code).inc();
    services.metrics.actionDuration.labels(`chat_${label}`).observe((performance.now() - started) / 1000);
    client.send(ServerMessage.RESULT, result);
  }

  private async handle(client: ChatClient, type: string, message: unknown): Promise<StoredOutcome> {
    const user = client.auth;
    if (!user) throw unauthenticated();
    assertTokenCurrent(user);
    let refusal: AppError | undefined;
    let parsed: { type: ChatMessage; payload: ChatMessagePayload<ChatMessage> } | undefined;
    if (!Object.hasOwn(chatMessageSchemas, type)) {
      refusal = invalidInput(`Unknown message type "${type.slice(0, 40)}".`);
    } else {
      const attempt = chatMessageSchemas[type as ChatMessage].safeParse(message);
      if (attempt.success) parsed = { type: type as ChatMessage, payload: attempt.data };
      else refusal = invalidInput(describeIssues(attempt.error));
    }
    if (!parsed) {
      // Refused messages cost a parse's price too, so garbage is not free;
      // valid ones are charged by their action, after the replay check.
      if (!(await roomServices().chat.rateLimiter.take(user.userId, undefined))) throw rateLimited();
      throw refusal!;
    }
    const handler = this.actions[parsed.type] as ActionHandler<ChatMessage>;
    return handler(user, parsed.payload);
  }

  /**
   * A `req` already seen from this user in this room gets the same answer,
   * without a second message; answers that failed are forgotten so the
   * client may try again.
   */
  private remembered(userId: string, req: string, act: () => Promise<StoredOutcome>): Promise<StoredOutcome> {
    const key = `${userId}\n${req}`;
    const earlier = this.replies.get(key);
    if (earlier) return earlier;
    const outcome = act();
    this.replies.set(key, outcome);
    if (this.replies.size > REMEMBERED_REQS) this.replies.delete(this.replies.keys().next().value!);
    outcome.then(
      (answer) => {
        if (!answer.ok) this.replies.delete(key);
      },
      () => this.replies.delete(key),
    );
    return outcome;
  }

  private async relay(user: ChatAuth, payload: ChatMessagePayload<"msg">): Promise<StoredOutcome> {
    const { chat, logger } = roomServices();
    if (!(await chat.rateLimiter.take(user.userId, "msg"))) throw rateLimited();
    const stored = await chat.messages.append({
      sessionId: this.sessionId,
      landId: this.landId,
      senderId: user.userId,
      senderName: user.username,
      ciphertext: payload.ciphertext,
      iv: payload.iv,
      v: payload.v,
      type: payload.type,
      req: payload.req,
    });
    if (!this.disposed) {
      this.history.push(stored);
      if (this.history.length > HISTORY_BUFFER) {
        this.history.shift();
        this.mayHaveOlder = true;
      }
      this.broadcast(ChatServerMessage.MSG, stored);
    }
    logger.debug({ landId: this.landId, messageId: stored.message_id, senderId: user.userId, type: stored.type }, "relayed a land chat message");
    return { ok: true, data: { message_id: stored.message_id, created_at: stored.created_at } };
  }

  private async deleteMessage(user: ChatAuth, payload: ChatMessagePayload<"delete">): Promise<StoredOutcome> {
    const { chat, logger } = roomServices();
    if (!(await chat.rateLimiter.take(user.userId, "delete"))) throw rateLimited();
    const { message_id } = await chat.messages.delete(this.landId, payload.message_id, user.userId);
    this.history = this.history.filter((message) => message.message_id !== message_id);
    if (this.refilling) this.deletedWhileRefilling.add(message_id);
    if (!this.disposed) this.broadcast(ChatServerMessage.DELETED, { message_id });
    logger.debug({ landId: this.landId, messageId: message_id, by: user.userId }, "deleted a land chat message");
    void this.refillHistory();
    return { ok: true, data: { message_id } };
  }

  /** After deletions, tops the buffer up with older messages from the database, so joiners still get 50. */
  private async refillHistory(): Promise<void> {
    if (this.refilling || !this.mayHaveOlder || this.history.length >= HISTORY_ON_JOIN) return;
    this.refilling = true;
    try {
      const oldest = this.history[0];
      const wanted = HISTORY_BUFFER - this.history.length;
      const older = await roomServices().chat.messages.recent(
        this.landId,
        wanted,
        oldest ? { createdAt: oldest.created_at, messageId: oldest.message_id } : undefined,
      );
      this.mayHaveOlder = older.length === wanted;
      const present = new Set(this.history.map((message) => message.message_id));
      const kept = older.filter((message) => !present.has(message.message_id) && !this.deletedWhileRefilling.has(message.message_id));
      this.history = [...kept, ...this.history];
    } catch (error) {
      roomServices().logger.warn({ error: loggableError(error), landId: this.landId }, "could not refill a land chat's history");
    } finally {
      this.refilling = false;
      this.deletedWhileRefilling.clear();
    }
  }

  /**
   * The land was sold, fenced, unfenced or given a new passcode: members
   * who would no longer be admitted leave. A member stays when they own the
   * land now, when it is unfenced, or when they came in with a passcode that
   * has not changed since.
   */
  private async recheckMembers(): Promise<void> {
    const services = roomServices();
    try {
      const now = await services.chat.access.landState(this.landId);
      const before = this.land;
      if (!now || !before) return;
      this.land = now;
      const passcodeChanged = now.passcodeUpdatedAt !== before.passcodeUpdatedAt || now.ownerId !== before.ownerId;
      for (const client of [...this.clients] as ChatClient[]) {
        const auth = client.auth;
        if (!auth) continue;
        if (now.ownerId === auth.userId) {
          auth.via = "owner";
          continue;
        }
        if (!now.fenced) {
          auth.via = "open";
          continue;
        }
        if (auth.via === "passcode" && !passcodeChanged) continue;
        services.logger.info({ landId: this.landId, userId: auth.userId }, "land chat access revoked after a land change");
        const member = this.members.get(client.sessionId);
        if (member) member.dropping = true;
        client.leave(CHAT_ACCESS_REVOKED_CLOSE_CODE, "access revoked");
      }
    } catch (error) {
      services.logger.warn({ error: loggableError(error), landId: this.landId }, "could not re-check land chat members");
    }
  }
}

function labelOf(type: string): string {
  return Object.hasOwn(chatMessageSchemas, type) ? type : "unknown";
}

/** The `req` of a message if it has a valid one, `""` otherwise (PROTOCOL.md). */
function extractReq(message: unknown): string {
  if (message && typeof message === "object" && "req" in message) {
    const parsed = reqSchema.safeParse((message as { req: unknown }).req);
    if (parsed.success) return parsed.data;
  }
  return "";
}
