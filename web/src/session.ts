/**
 * Who is logged in: the token (kept in this tab's localStorage), the user's
 * balance and held funds (`GET /me`), and listeners told of every change.
 */
import { api } from "./api.js";
import { ServerRefusal } from "./error-text.js";

export interface Me {
  user_id: string;
  username: string;
  role: string;
  balance_bdt: number;
  held_bdt: number;
}

const TOKEN_KEY = "vlw.token";

export class Session {
  token: string | null = localStorage.getItem(TOKEN_KEY);
  me: Me | null = null;
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  /** Reads the user behind a stored token; a token the server no longer accepts is forgotten. */
  async restore(): Promise<void> {
    if (!this.token) return;
    try {
      await this.refresh();
    } catch (error) {
      if (error instanceof ServerRefusal && error.code === "UNAUTHENTICATED") this.logout();
      else throw error;
    }
  }

  async refresh(): Promise<void> {
    if (!this.token) return;
    const { user } = await api<{ user: Me }>("/me", { token: this.token });
    this.me = user;
    this.emit();
  }

  async login(login: string, password: string): Promise<void> {
    this.accept(await api<{ token: string; user: Me }>("/auth/login", { method: "POST", body: { login, password } }));
  }

  async register(username: string, email: string, password: string): Promise<void> {
    this.accept(await api<{ token: string; user: Me }>("/auth/register", { method: "POST", body: { username, email, password } }));
  }

  logout(): void {
    this.token = null;
    this.me = null;
    localStorage.removeItem(TOKEN_KEY);
    this.emit();
  }

  private accept(answer: { token: string; user: Me }): void {
    this.token = answer.token;
    localStorage.setItem(TOKEN_KEY, answer.token);
    this.me = answer.user;
    this.emit();
    // The register/login answer may be a subset of /me; read the whole user once.
    void this.refresh().catch(() => undefined);
  }
}
