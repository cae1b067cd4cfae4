/**
 * An `@colyseus/sdk` Client whose rooms count the WebSocket frames and bytes
 * they send and receive. Colyseus sends one message per frame, so frames are
 * messages. Bytes are frame payloads (without the 2–14-byte WebSocket header
 * or TLS); the matchmaking HTTP request that precedes each join is not
 * counted here.
 */
import { Client, type Room } from "@colyseus/sdk";

export interface TrafficCounter {
  received(bytes: number): void;
  sent(bytes: number): void;
}

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === "string") return Buffer.byteLength(data);
  if (data instanceof Blob) return data.size;
  return 0;
}

export class CountingClient extends Client {
  constructor(
    endpoint: string,
    private readonly counter: TrafficCounter,
  ) {
    super(endpoint);
  }

  // The SDK builds every room (join, create, reconnect) here, then calls
  // `room.connect`, which creates the connection; wrapping right after it
  // sees every frame, the handshake included.
  protected override createRoom<T>(roomName: string, rootSchema?: Parameters<Client["joinOrCreate"]>[2]): Room<any, T> {
    const room = super.createRoom<T>(roomName, rootSchema as never);
    const counter = this.counter;
    const connect = room.connect.bind(room);
    room.connect = (endpoint: string, options?: unknown, headers?: unknown) => {
      connect(endpoint, options, headers);
      const connection = room.connection;
      const onMessage = connection.events.onmessage;
      connection.events.onmessage = (event: MessageEvent) => {
        counter.received(byteLength(event.data));
        onMessage?.(event);
      };
      const send = connection.send.bind(connection);
      connection.send = (data: Buffer | Uint8Array) => {
        counter.sent(data.byteLength);
        send(data);
      };
    };
    return room;
  }
}
