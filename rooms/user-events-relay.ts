import type { Client, Presence } from "@colyseus/core";
import { ServerMessage } from "../src/protocol/room-messages.js";
import { userEventsChannel } from "../src/services/outbox.js";

/**
 * Events for one user (`outbid`, `sold`, `won`, …) are published on that
 * user's presence channel. Each process subscribes once per user connected to
 * any of its rooms and forwards each event to that user's clients here, so the
 * user hears it wherever they are connected.
 */
const listeners = new Map<string, { clients: Set<Client>; forward: (event: unknown) => void }>();

export function followUserEvents(presence: Presence, userId: string, client: Client): () => void {
  let entry = listeners.get(userId);
  if (!entry) {
    const clients = new Set<Client>();
    const forward = (event: unknown) => {
      for (const each of clients) each.send(ServerMessage.EVENT, event);
    };
    entry = { clients, forward };
    listeners.set(userId, entry);
    void presence.subscribe(userEventsChannel(userId), forward);
  }
  entry.clients.add(client);
  const current = entry;
  return () => {
    current.clients.delete(client);
    if (current.clients.size === 0 && listeners.get(userId) === current) {
      listeners.delete(userId);
      presence.unsubscribe(userEventsChannel(userId), current.forward);
    }
  };
}
