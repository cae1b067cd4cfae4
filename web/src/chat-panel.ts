/**
 * A land's end-to-end encrypted chat (PROTOCOL.md, room `land_chat`): joins
 * with the passcode on a fenced land, decrypts `history` and each `msg` with
 * the key from the link, encrypts what the player writes. The server only
 * ever sees ciphertext and IVs.
 */
import { Client, type Room } from "@colyseus/sdk";
import {
  CHAT_ACCESS_REVOKED_CLOSE_CODE,
  CHAT_TOKEN_EXPIRED_CLOSE_CODE,
  ChatServerMessage,
  LAND_PASSCODE_HEADER,
  RoomName,
  ServerMessage,
  type ChatMessageView,
  type ResultMessage,
} from "../../src/protocol/room-messages.js";
import { decryptText, encryptText, ENCRYPTION_VERSION } from "../../src/protocol/chat-cipher.js";
import { HISTORY_ON_JOIN } from "../../src/domain/chat/chat-limits.js";
import { api } from "./api.js";
import { chatKeyFor, fragmentFor, type ChatKey } from "./chat-keys.js";
import { h, toast, withProgress } from "./dom.js";
import { describeError, sentenceFor } from "./error-text.js";
import { newReq, shortTime } from "./format.js";

export interface ChatTarget {
  landId: string;
  x: number;
  y: number;
  fenced: boolean;
  isOwner: boolean;
}

export class ChatPanel {
  private room: Room | undefined;
  private key: ChatKey | undefined;
  private target: ChatTarget | undefined;
  private list: HTMLOListElement | undefined;
  private readonly seen = new Set<string>();
  /** The passcode that let us in, for reading older pages of a fenced land's history over HTTP. */
  private passcode: string | undefined;
  private olderButton: HTMLButtonElement | undefined;
  private oldestId: string | undefined;

  constructor(
    private readonly element: HTMLElement,
    private readonly token: () => string | null,
  ) {
    this.renderClosed();
  }

  get openLandId(): string | undefined {
    return this.room ? this.target?.landId : undefined;
  }

  /** Opens the chat of a land, asking for its passcode first when it is fenced and not ours. */
  async open(target: ChatTarget, linkKey: string | undefined): Promise<void> {
    await this.close();
    this.target = target;
    this.key = await chatKeyFor(target.landId, linkKey);
    // The key joins the address bar (fragment only), so the player can copy the link.
    history.replaceState(null, "", fragmentFor(target.x, target.y, this.key.encoded));
    if (target.fenced && !target.isOwner) this.renderPasscodeForm();
    else await this.join(undefined, null);
  }

  async close(): Promise<void> {
    const room = this.room;
    this.room = undefined;
    this.seen.clear();
    if (room) await room.leave().catch(() => undefined);
    this.renderClosed();
  }

  private renderClosed(): void {
    this.element.replaceChildren(
      h("h2", { text: "Land chat" }),
      h("p", { class: "muted", text: "Select an owned land and choose “Open chat”. Messages are encrypted in your browser; the server only stores ciphertext." }),
    );
  }

  private renderPasscodeForm(error?: string): void {
    const input = h("input", { id: "chat-passcode", name: "passcode", inputmode: "numeric", pattern: "\\d{4}", maxlength: 4, autocomplete: "off", required: true, "aria-describedby": "chat-passcode-help" });
    const button = h("button", { type: "submit", text: "Enter chat" });
    const form = h(
      "form",
      { class: "stack" },
      h("label", { for: "chat-passcode", text: "This land is fenced. Passcode (4 digits)" }),
      input,
      h("p", { id: "chat-passcode-help", class: "muted", text: "Ask the owner for it. Several wrong tries lock you out for a while." }),
      error ? h("p", { class: "error", role: "alert", text: error }) : null,
      button,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.join(input.value.trim(), button);
    });
    this.element.replaceChildren(h("h2", { text: `Chat of land (${this.target?.x}, ${this.target?.y})` }), form);
    input.focus();
  }

  private async join(passcode: string | undefined, button: HTMLButtonElement | null): Promise<void> {
    const target = this.target;
    if (!target) return;
    if (!button) this.element.replaceChildren(h("h2", { text: `Chat of land (${target.x}, ${target.y})` }), h("p", { class: "progress", text: "Joining the chat…" }));
    const client = new Client(window.location.origin);
    client.auth.token = this.token() ?? "";
    const room = await withProgress(
      button,
      "Joining…",
      () => client.joinOrCreate(RoomName.LAND_CHAT, passcode === undefined ? { land_id: target.landId } : { land_id: target.landId, passcode }),
      (error) => {
        if (target.fenced && !target.isOwner) this.renderPasscodeForm(sentenceFor(error));
        else this.element.replaceChildren(h("h2", { text: "Land chat" }), h("p", { class: "error", role: "alert", text: sentenceFor(error) }));
      },
    );
    if (!room) return;
    this.passcode = passcode;
    if (this.target !== target) {
      void room.leave();
      return;
    }
    this.room = room;
    this.renderRoom(target);
    room.onMessage(ChatServerMessage.HISTORY, (message: { messages: ChatMessageView[] }) => {
      const messages = message.messages ?? [];
      for (const item of messages) void this.show(item);
      // A full first page means there may be older messages to fetch over HTTP.
      if (this.olderButton) this.olderButton.hidden = messages.length < HISTORY_ON_JOIN;
      this.oldestId = messages[0]?.message_id;
    });
    room.onMessage(ChatServerMessage.MSG, (message: ChatMessageView) => void this.show(message));
    room.onMessage(ChatServerMessage.DELETED, (message: { message_id: string }) => {
      this.list?.querySelector(`[data-message-id="${CSS.escape(message.message_id)}"]`)?.remove();
    });
    room.onMessage(ServerMessage.RESULT, (_result: ResultMessage) => undefined); // each send awaits its own below
    room.onMessage(ServerMessage.EVENT, () => undefined);
    room.onStateChange((state: { participant_count?: number }) => {
      const count = this.element.querySelector("#chat-participants");
      if (count) count.textContent = `${state.participant_count ?? 0} here now`;
    });
    room.onLeave((code: number) => {
      if (this.room !== room) return;
      this.room = undefined;
      const reason =
        code === CHAT_ACCESS_REVOKED_CLOSE_CODE
          ? "You no longer have access to this chat (the land was sold or fenced anew)."
          : code === CHAT_TOKEN_EXPIRED_CLOSE_CODE
            ? "Your session has expired. Log in again to continue the chat."
            : "The chat connection closed. Open it again to continue.";
      this.element.append(h("p", { class: "error", role: "alert", text: reason }));
    });
  }

  private renderRoom(target: ChatTarget): void {
    const link = `${window.location.origin}/${fragmentFor(target.x, target.y, this.key!.encoded)}`;
    const linkInput = h("input", { id: "chat-link", readonly: true, value: link, "aria-label": "Link with the chat key" });
    const copy = h("button", { type: "button", text: "Copy link" });
    copy.addEventListener("click", () => {
      linkInput.select();
      void navigator.clipboard?.writeText(link).then(
        () => toast("Link copied. Anyone with it can read this chat.", "success"),
        () => toast("Select the link and copy it by hand.", "info"),
      );
    });
    this.list = h("ol", { id: "chat-messages", class: "chat-messages", "aria-live": "polite" });
    const input = h("input", { id: "chat-input", name: "text", maxlength: 4000, autocomplete: "off", required: true, "aria-label": "Message" });
    const send = h("button", { type: "submit", text: "Send" });
    const form = h("form", { class: "row", id: "chat-form" }, input, send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      void withProgress(send, "Sending…", async () => {
        await this.send(text);
        input.value = "";
        input.focus();
      }, (error) => toast(sentenceFor(error), "error"));
    });
    this.olderButton = h("button", { type: "button", class: "secondary", id: "chat-older", hidden: true, text: "Older messages" });
    const older = this.olderButton;
    older.addEventListener("click", () => void withProgress(older, "Loading…", () => this.loadOlder(target), (error) => toast(sentenceFor(error), "error")));
    const leave = h("button", { type: "button", class: "secondary", text: "Leave chat" });
    leave.addEventListener("click", () => void this.close());
    this.element.replaceChildren(
      h("h2", { text: `Chat of land (${target.x}, ${target.y})` }),
      h("p", { class: "muted" }, h("span", { id: "chat-participants", text: "" }), " · end-to-end encrypted"),
      h("div", { class: "row" }, linkInput, copy),
      h("p", { class: "muted small", text: "The key is in the part of the link after #, which is never sent to the server. Share the link only with people who may read this chat." }),
      older,
      this.list,
      form,
      leave,
    );
  }

  /** The page of history before the oldest message shown (`GET /lands/:land_id/messages`), ciphertext like the rest. */
  private async loadOlder(target: ChatTarget): Promise<void> {
    if (!this.oldestId) return;
    const headers: Record<string, string> = this.passcode ? { [LAND_PASSCODE_HEADER]: this.passcode } : {};
    const page = await api<{ messages: ChatMessageView[]; next_before: string | null }>(
      `/lands/${target.landId}/messages?before=${encodeURIComponent(this.oldestId)}&limit=${HISTORY_ON_JOIN}`,
      { token: this.token(), headers },
    );
    await Promise.all(page.messages.map((message) => this.show(message)));
    this.oldestId = page.messages[0]?.message_id ?? this.oldestId;
    if (this.olderButton) this.olderButton.hidden = page.next_before === null;
  }

  private async send(text: string): Promise<void> {
    const room = this.room;
    if (!room || !this.key) throw new Error("the chat is not open");
    const sealed = await encryptText(this.key.key, text);
    const req = newReq("chat");
    const answer = new Promise<ResultMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the server did not confirm the message; it may not have been sent")), 15_000);
      const stop = room.onMessage(ServerMessage.RESULT, (result: ResultMessage) => {
        if (result.req !== req) return;
        clearTimeout(timer);
        stop();
        resolve(result);
      });
    });
    room.send("msg", { req, ciphertext: sealed.ciphertext, iv: sealed.iv, v: ENCRYPTION_VERSION, type: "text" });
    const result = await answer;
    if (!result.ok) throw new Error(describeError(result.error.code, result.error.message));
  }

  private async show(message: ChatMessageView): Promise<void> {
    if (this.seen.has(message.message_id) || !this.list || !this.key) return;
    this.seen.add(message.message_id);
    let text: string;
    let unreadable = false;
    try {
      text = message.type === "text" ? await decryptText(this.key.key, message.ciphertext, message.iv) : `(${message.type})`;
    } catch {
      text = "🔒 Cannot read this message: it was written with another key.";
      unreadable = true;
    }
    const item = h(
      "li",
      { "data-message-id": message.message_id, "data-sender": message.sender_name, class: unreadable ? "unreadable" : undefined },
      h("span", { class: "sender", text: message.sender_name }),
      h("time", { datetime: message.created_at, text: shortTime(message.created_at) }),
      h("span", { class: "text", text }),
    );
    // Keep created_at order even when decrypting finishes out of order.
    const later = Array.from(this.list.children).find((child) => (child.querySelector("time")?.getAttribute("datetime") ?? "") > message.created_at);
    this.list.insertBefore(item, later ?? null);
    item.scrollIntoView({ block: "nearest" });
  }
}
