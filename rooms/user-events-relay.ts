import { createHash } from "node:crypto";
import type { Client, Presence } from "@colyseus/core";
import { ServerMessage } from "../src/protocol/room-messages.js";
import { userEventsChannel } from "../src/services/outbox.js";

/**
 * Events for one user (`outbid`, `sold`, `won`, …) are published on that
 * user's presence channel. Each process subscribes once per user connected to
 * any of its rooms and forwards each event once per login (a player keeps
 * nine chunk rooms joined, each its own connection, but wants to hear of an
 * outbid once): to one open connection of each login. Two devices, two logins,
 * two copies.
 */
const listeners = new Map<string, { logins: Map<string, Set<Client>>; forward: (event: unknown) => void }>();

/** A short key telling logins apart without keeping the token. */
export function loginKeyOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url").slice(0, 16);
}

export function followUserEvents(presence: Presence, userId: string, loginKey: string, client: Client): () => void {
  let entry = listeners.get(userId);
  if (!entry) {
    const logins = new Map<string, Set<Client>>();
    const forward = (event: unknown) => {
      for (const clients of logins.values()) {
        const first = clients.values().next();
        if (!first.done) first.value.send(ServerMessage.EVENT, event);
      }
    };
    entry = { logins, forward };
    listeners.set(userId, entry);
    void presence.subscribe(userEventsChannel(userId), forward);
  }
  const clients = entry.logins.get(loginKey) ?? new Set<Client>();
  clients.add(client);
  entry.logins.set(loginKey, clients);
  const current = entry;
  return () => {
    clients.delete(client);
    if (clients.size === 0) current.logins.delete(loginKey);
    if (current.logins.size === 0 && listeners.get(userId) === current) {
      listeners.delete(userId);
      presence.unsubscribe(userEventsChannel(userId), current.forward);
    }
  };
}
