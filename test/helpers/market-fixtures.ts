import type { Room } from "@colyseus/sdk";
import type { TestServer } from "./test-server.js";
import { fund } from "./accounts.js";
import { registerUser, type ApiClient } from "./http-client.js";
import { resultCollector, sdkClient } from "./room-client.js";

let reqCounter = 0;
/** A fresh request id. */
export const nextReq = (stem = "r") => `${stem}-${++reqCounter}-${Math.floor(Math.random() * 1e6)}`;

export interface Player {
  token: string;
  userId: string;
  username: string;
  room: Room;
  results: ReturnType<typeof resultCollector>;
  events: Array<Record<string, any>>;
  /** Sends a message with a fresh req and resolves with its result (`data` loosely typed for tests). */
  send(type: string, payload: Record<string, unknown>): Promise<{ req: string; ok: boolean; data?: any; error?: { code: string; message: string } }>;
}

/** A registered, funded player connected to chunk (cx, cy), recording the events it receives. */
export async function connectedPlayer(
  server: TestServer,
  api: ApiClient,
  adminToken: string,
  options: { cx?: number; cy?: number; balance?: number; rooms?: Room[] } = {},
): Promise<Player> {
  const user = await registerUser(api);
  if ((options.balance ?? 100_000) > 0) await fund(api, adminToken, user.userId, options.balance ?? 100_000);
  const room = await sdkClient(server.wsUrl, user.token).joinOrCreate("chunk", { cx: options.cx ?? 0, cy: options.cy ?? 0 });
  options.rooms?.push(room);
  const results = resultCollector(room);
  const events: Array<Record<string, any>> = [];
  room.onMessage("event", (event: Record<string, any>) => events.push(event));
  return {
    ...user,
    room,
    results,
    events,
    send: (type, payload) => results.send(type, { req: nextReq(type), ...payload }, 20_000) as ReturnType<Player["send"]>,
  };
}

/** Buys (x, y) for the player through the room and expects it to succeed. */
export async function buyLand(player: Player, x: number, y: number): Promise<string> {
  const result = await player.send("buy", { x, y });
  if (!result.ok) throw new Error(`buy failed: ${JSON.stringify(result)}`);
  return (result.data as { land_id: string }).land_id;
}

/** Sum of every balance, the world account's ledger included. */
export async function totalMoney(server: TestServer): Promise<number> {
  const { rows } = await server.db.query("SELECT sum(balance_bdt)::bigint AS total FROM account_balances");
  return Number(rows[0].total);
}

/** Sum of the amounts credited or debited through the audited credit path. */
export async function auditedCredits(server: TestServer): Promise<number> {
  const { rows } = await server.db.query(
    "SELECT coalesce(sum(amount_bdt), 0)::bigint AS total FROM audit_logs WHERE event_type IN ('balance_credited', 'balance_debited')",
  );
  return Number(rows[0].total);
}

/** Each user's held_bdt against the sum of the maxima of the bids they lead, and negative balances or holds. */
export async function holdsMismatches(server: TestServer) {
  const { rows } = await server.db.query(`
    SELECT u.user_id, u.held_bdt, coalesce(sum(b.amount_bdt), 0)::bigint AS leading, u.balance_bdt
    FROM users u
    LEFT JOIN bids b ON b.bidder_id = u.user_id AND b.status = 'active'
    LEFT JOIN listings l ON l.listing_id = b.listing_id AND l.leading_bid_id = b.bid_id AND l.status = 'active'
    GROUP BY u.user_id
    HAVING u.held_bdt <> coalesce(sum(b.amount_bdt) FILTER (WHERE l.listing_id IS NOT NULL), 0)
        OR u.held_bdt < 0 OR u.balance_bdt < 0`);
  return rows;
}
