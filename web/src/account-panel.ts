/**
 * Registering, logging in and the player's own things: balance and held
 * funds, their lands and their transaction history. The forms are checked
 * with the protocol's own request schemas before anything is sent.
 */
import { loginBody, registerBody } from "../../src/protocol/http-schemas.js";
import { api } from "./api.js";
import { h, toast, withProgress } from "./dom.js";
import { sentenceFor } from "./error-text.js";
import { shortTime, taka } from "./format.js";
import type { Session } from "./session.js";

interface Transaction {
  transaction_id: string;
  kind: string;
  x: number | null;
  y: number | null;
  role: "buyer" | "seller";
  amount_bdt: number;
  platform_fee_bdt: number;
  seller_receives_bdt: number;
  status: string;
  created_at: string;
}

/** Lands listed in the account panel, newest first. */
const MY_LANDS_SHOWN = 100;

export class AccountPanel {
  private transactions: Transaction[] = [];
  private nextCursor: string | null = null;
  private myLands: { x: number; y: number }[] = [];
  /** The player owns more lands than are listed. */
  private moreLands = false;
  private detailsLoaded = false;

  constructor(
    private readonly header: HTMLElement,
    private readonly element: HTMLElement,
    private readonly session: Session,
    private readonly goToLand: (x: number, y: number) => void,
  ) {
    session.onChange(() => this.render());
    this.render();
  }

  /** Balance, lands and history again (after a purchase, a sale, a bid). */
  async refresh(): Promise<void> {
    if (!this.session.token) return;
    await this.session.refresh().catch(() => undefined);
    if (this.detailsLoaded) await this.loadDetails();
  }

  private render(): void {
    const me = this.session.me;
    if (!me) {
      this.header.replaceChildren(h("span", { class: "muted", text: "Not logged in" }));
      this.element.replaceChildren(this.authForms());
      return;
    }
    const logout = h("button", { type: "button", class: "secondary", id: "logout", text: "Log out" });
    logout.addEventListener("click", () => this.session.logout());
    this.header.replaceChildren(
      h("span", { id: "whoami", text: me.username }),
      h("span", { class: "balance", id: "balance", "data-balance": String(me.balance_bdt), text: `Balance ${taka(me.balance_bdt)}` }),
      h("span", { class: "muted", id: "held", "data-held": String(me.held_bdt), text: `held for bids ${taka(me.held_bdt)}` }),
      logout,
    );
    const details = h("details", { id: "account-details" }, h("summary", { text: "My lands and transactions" }));
    details.open = this.detailsLoaded;
    details.addEventListener("toggle", () => {
      if (details.open && !this.detailsLoaded) {
        this.detailsLoaded = true;
        void this.loadDetails();
      }
    });
    details.append(this.landsList(), this.transactionsList());
    this.element.replaceChildren(
      h("h2", { text: "Account" }),
      h("p", {}, `Available to spend: `, h("strong", { text: taka(me.balance_bdt - me.held_bdt) })),
      details,
    );
  }

  private async loadDetails(): Promise<void> {
    try {
      const [page, lands] = await Promise.all([
        api<{ transactions: Transaction[]; next_cursor: string | null }>("/me/transactions?limit=50", { token: this.session.token }),
        api<{ lands: Array<{ x: number; y: number }>; next_cursor: string | null }>(`/me/lands?limit=${MY_LANDS_SHOWN}`, { token: this.session.token }),
      ]);
      this.transactions = page.transactions;
      this.nextCursor = page.next_cursor;
      this.myLands = lands.lands.map(({ x, y }) => ({ x, y }));
      this.moreLands = lands.next_cursor !== null;
    } catch (error) {
      toast(sentenceFor(error), "error");
    }
    this.render();
  }

  private landsList(): HTMLElement {
    if (this.myLands.length === 0) return h("p", { class: "muted", id: "my-lands", text: this.detailsLoaded ? "You own no land yet." : "" });
    const list = h("ul", { id: "my-lands", class: "links" }, ...this.myLands.map((land) => {
      const go = h("button", { type: "button", class: "link", text: `Land (${land.x}, ${land.y})` });
      go.addEventListener("click", () => this.goToLand(land.x, land.y));
      return h("li", {}, go);
    }));
    if (!this.moreLands) return list;
    return h("div", {}, list, h("p", { class: "muted small", text: `The ${MY_LANDS_SHOWN} newest of your lands.` }));
  }

  private transactionsList(): HTMLElement {
    const list = h("ol", { id: "transactions", class: "transactions" }, ...this.transactions.map((t) =>
      h("li", {}, `${t.role === "buyer" ? "Bought" : "Sold"} land ${t.x !== null ? `(${t.x}, ${t.y})` : ""} for ${taka(t.amount_bdt)}`,
        t.role === "seller" && t.platform_fee_bdt ? ` (fee ${taka(t.platform_fee_bdt)}, you received ${taka(t.seller_receives_bdt)})` : "",
        " ", h("time", { class: "muted small", datetime: t.created_at, text: shortTime(t.created_at) }))));
    const wrapper = h("div", {}, h("h3", { text: "Transactions" }), this.transactions.length ? list : h("p", { class: "muted", text: this.detailsLoaded ? "No transactions yet." : "" }));
    if (this.nextCursor) {
      const more = h("button", { type: "button", class: "secondary", text: "Older…" });
      more.addEventListener("click", () => void withProgress(more, "Loading…", async () => {
        const page = await api<{ transactions: Transaction[]; next_cursor: string | null }>(`/me/transactions?limit=50&cursor=${encodeURIComponent(this.nextCursor!)}`, { token: this.session.token });
        this.transactions.push(...page.transactions);
        this.nextCursor = page.next_cursor;
        this.render();
      }, (error) => toast(sentenceFor(error), "error")));
      wrapper.append(more);
    }
    return wrapper;
  }

  private authForms(): HTMLElement {
    const loginName = h("input", { id: "login-name", name: "login", autocomplete: "username", required: true });
    const loginPassword = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    const loginButton = h("button", { type: "submit", id: "login-submit", text: "Log in" });
    const loginError = h("p", { class: "error", role: "alert", id: "login-error" });
    const login = h("form", { class: "stack", id: "login-form" },
      h("h2", { text: "Log in" }),
      h("label", { for: "login-name", text: "Username or email" }), loginName,
      h("label", { for: "login-password", text: "Password" }), loginPassword,
      loginError, loginButton);
    login.addEventListener("submit", (event) => {
      event.preventDefault();
      loginError.textContent = "";
      const body = loginBody.safeParse({ login: loginName.value.trim(), password: loginPassword.value });
      if (!body.success) {
        loginError.textContent = body.error.issues.map((issue) => issue.message).join("; ");
        return;
      }
      void withProgress(loginButton, "Logging in…", () => this.session.login(body.data.login, body.data.password), (error) => {
        loginError.textContent = sentenceFor(error);
      });
    });

    const username = h("input", { id: "register-username", name: "username", autocomplete: "username", required: true });
    const email = h("input", { id: "register-email", name: "email", type: "email", autocomplete: "email", required: true });
    const password = h("input", { id: "register-password", name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 10 });
    const registerButton = h("button", { type: "submit", id: "register-submit", text: "Create account" });
    const registerError = h("p", { class: "error", role: "alert", id: "register-error" });
    const register = h("form", { class: "stack", id: "register-form" },
      h("h2", { text: "New here? Create an account" }),
      h("label", { for: "register-username", text: "Username (3–32 letters, digits or _)" }), username,
      h("label", { for: "register-email", text: "Email" }), email,
      h("label", { for: "register-password", text: "Password (at least 10 characters)" }), password,
      registerError, registerButton);
    register.addEventListener("submit", (event) => {
      event.preventDefault();
      registerError.textContent = "";
      const body = registerBody.safeParse({ username: username.value.trim(), email: email.value.trim(), password: password.value });
      if (!body.success) {
        registerError.textContent = body.error.issues.map((issue) => issue.message).join("; ");
        return;
      }
      void withProgress(registerButton, "Creating…", async () => {
        await this.session.register(body.data.username, body.data.email, body.data.password);
        toast(`Welcome, ${body.data.username}! Ask an admin to credit your balance to start buying.`, "success", 9000);
      }, (error) => {
        registerError.textContent = sentenceFor(error);
      });
    });
    return h("div", { class: "auth" }, login, register);
  }
}
