import { Room, type AuthContext, type Client } from "@colyseus/core";
import { AppError, invalidInput, toErrorBody, unauthenticated } from "../src/errors.js";
import { ErrorCode } from "../src/protocol/error-codes.js";
import {
  chunkJoinOptions,
  chunkMessageSchemas,
  chunkRoomId,
  ServerMessage,
  reqSchema,
  type ChunkMessage,
  type ResultMessage,
} from "../src/protocol/room-messages.js";
import type { AuthenticatedUser } from "../src/services/accounts-service.js";
import { describeIssues } from "../src/http/validation.js";
import { authenticateJoin, joinRefusal } from "./room-auth.js";
import { roomServices } from "./room-services.js";
import { ChunkState } from "./schema/ChunkState.js";

type ChunkClient = Client<{ auth: AuthenticatedUser | null }>;

/**
 * One room per 32×32 chunk, the same across every server process (its id is
 * `chunk_{cx}_{cy}`). Anyone may watch; actions need a token. Every message
 * gets exactly one `result`, malformed and unknown ones included.
 */
export class ChunkRoom extends Room<{ state: ChunkState }> {
  override state = new ChunkState();
  override autoDispose = true;

  static override async onAuth(token: string, _options: unknown, _context: AuthContext) {
    const user = await authenticateJoin(token, true);
    return user ?? { anonymous: true };
  }

  override onCreate(options: unknown) {
    const parsed = chunkJoinOptions.safeParse(options);
    if (!parsed.success) throw joinRefusal(ErrorCode.INVALID_INPUT);
    const { cx, cy } = parsed.data;
    this.roomId = chunkRoomId(cx, cy);
    this.state.cx = cx;
    this.state.cy = cy;
    this.setPatchRate(50);
    this.onMessage("*", (client, type, message) => {
      void this.dispatch(client as ChunkClient, String(type), message);
    });
    roomServices().metrics.rooms.labels("chunk").inc();
  }

  override onJoin(_client: Client) {
    roomServices().metrics.clients.labels("chunk").inc();
  }

  override onLeave(_client: Client) {
    roomServices().metrics.clients.labels("chunk").dec();
  }

  override onDispose() {
    roomServices().metrics.rooms.labels("chunk").dec();
  }

  override onUncaughtException(error: unknown, method: string) {
    roomServices().logger.error({ err: error, method, roomId: this.roomId }, "chunk room handler failed");
  }

  private async dispatch(client: ChunkClient, type: string, message: unknown): Promise<void> {
    const services = roomServices();
    const started = performance.now();
    const req = extractReq(message);
    let result: ResultMessage;
    try {
      const data = await this.handle(client, type, message);
      result = { req, ok: true, data };
    } catch (error) {
      if (!(error instanceof AppError)) services.logger.error({ err: error, type }, "chunk action failed");
      result = { req, ok: false, error: toErrorBody(error) };
    }
    services.metrics.roomMessages.labels("chunk", knownType(type), result.ok ? "ok" : result.error.code).inc();
    services.metrics.actionDuration.labels(knownType(type)).observe((performance.now() - started) / 1000);
    client.send(ServerMessage.RESULT, result);
  }

  private async handle(client: ChunkClient, type: string, message: unknown): Promise<unknown> {
    if (!Object.hasOwn(chunkMessageSchemas, type)) throw invalidInput(`Unknown message type "${type.slice(0, 40)}".`);
    const schema = chunkMessageSchemas[type as ChunkMessage];
    const parsed = schema.safeParse(message);
    if (!parsed.success) throw invalidInput(describeIssues(parsed.error));
    const user = client.auth && "userId" in client.auth ? client.auth : null;
    if (!user) throw unauthenticated("Log in to act; watching needs no token.");
    throw new AppError(ErrorCode.UNAVAILABLE, `"${type}" is not available on this server yet.`);
  }
}

function knownType(type: string): string {
  return Object.hasOwn(chunkMessageSchemas, type) ? type : "unknown";
}

/** The `req` of a message if it has a valid one, `""` otherwise (PROTOCOL.md). */
function extractReq(message: unknown): string {
  if (message && typeof message === "object" && "req" in message) {
    const parsed = reqSchema.safeParse((message as { req: unknown }).req);
    if (parsed.success) return parsed.data;
  }
  return "";
}
