/**
 * The simulated players' accounts, made before the clock starts, through the
 * contract's routes only:
 *
 * - **login** (default): accounts made beforehand by `npm run seed -- --users N
 *   --prefix P` on the target's database (`P_1` … `P_N`, password
 *   `demo-password`), logged in with `POST /auth/login`;
 * - **register** (with `--admin-token`): new players made with `POST
 *   /auth/register` and funded with the audited `POST /admin/users/:id/credit`.
 *
 * Both answer `429 RATE_LIMITED` with `Retry-After` when the server's per-IP
 * limits are reached (logins: 5 × LOGIN_RATE_LIMIT_PER_MINUTE per minute,
 * registrations: REGISTER_RATE_LIMIT_PER_HOUR per hour); short waits are
 * honoured, long ones stop the run with a sentence saying what to change.
 */
import type { MetricsRecorder } from "./metrics-recorder.js";

export interface Account {
  index: number;
  username: string;
  userId: string;
  token: string;
  balanceBdt: number;
}

export type AccountSource =
  | { kind: "login"; prefix: string; password: string; firstIndex: number }
  | { kind: "register"; prefix: string; password: string; adminToken: string; balanceBdt: number; runTag: string };

export class AccountsError extends Error {
  override name = "AccountsError";
}

interface UserBody {
  user_id: string;
  username: string;
  balance_bdt: number;
  held_bdt?: number;
}

/** Longest `Retry-After` the tester waits out before giving up. */
const MAX_RETRY_WAIT_S = 75;

export interface PrepareAccountsOptions {
  httpUrl: string;
  count: number;
  source: AccountSource;
  recorder: MetricsRecorder;
  /** Requests at once (argon2 makes each login cost the server tens of milliseconds of CPU). */
  concurrency?: number;
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
}

/**
 * Logs in or registers `count` players.
 * @throws AccountsError when an account cannot be had (wrong password, not seeded, rate limit too long, …).
 */
export async function prepareAccounts(options: PrepareAccountsOptions): Promise<Account[]> {
  const { count, source } = options;
  const accounts = new Array<Account>(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      options.signal?.throwIfAborted();
      const slot = next++;
      accounts[slot] = source.kind === "login" ? await login(options, source, slot) : await register(options, source, slot);
      options.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, options.concurrency ?? 8) }, worker));
  return accounts;
}

/** The username of the slot-th account (0-based) of a source. */
export function accountUsername(source: AccountSource, slot: number): string {
  if (source.kind === "login") return `${source.prefix}_${source.firstIndex + slot}`;
  return `${source.prefix}_${source.runTag}_${slot + 1}`;
}

async function login(options: PrepareAccountsOptions, source: Extract<AccountSource, { kind: "login" }>, slot: number): Promise<Account> {
  const username = accountUsername(source, slot);
  const response = await postJson(options, "login", "/auth/login", { login: username, password: source.password });
  if (response.status === 401) {
    throw new AccountsError(
      `Cannot log in as ${username} with the given password. Make the accounts first on the target's database: ` +
        `npm run seed -- --users ${source.firstIndex + options.count - 1} --prefix ${source.prefix} (password "demo-password"), ` +
        "or pass --admin-token to register fresh players.",
    );
  }
  const body = expectOk(response, 200, `log in as ${username}`) as { token: string; user: UserBody };
  return toAccount(slot, body.token, body.user);
}

async function register(
  options: PrepareAccountsOptions,
  source: Extract<AccountSource, { kind: "register" }>,
  slot: number,
): Promise<Account> {
  const username = accountUsername(source, slot);
  const registered = await postJson(options, "register", "/auth/register", {
    username,
    email: `${username.toLowerCase()}@loadtest.invalid`,
    password: source.password,
  });
  const body = expectOk(registered, 201, `register ${username}`) as { token: string; user: UserBody };
  let user = body.user;
  if (source.balanceBdt > 0) {
    const credited = await postJson(
      options,
      "admin_credit",
      `/admin/users/${encodeURIComponent(user.user_id)}/credit`,
      { amount_bdt: source.balanceBdt, reason: "load test funds" },
      source.adminToken,
    );
    if (credited.status === 401 || credited.status === 403) {
      throw new AccountsError("The --admin-token was refused by POST /admin/users/:id/credit: give a token of an admin account (npm run admin:create).");
    }
    user = (expectOk(credited, 200, `credit ${username}`) as { user: UserBody }).user;
  }
  return toAccount(slot, body.token, user);
}

function toAccount(slot: number, token: string, user: UserBody): Account {
  return { index: slot, username: user.username, userId: user.user_id, token, balanceBdt: user.balance_bdt - (user.held_bdt ?? 0) };
}

interface JsonResponse {
  status: number;
  body: unknown;
}

async function postJson(options: PrepareAccountsOptions, name: string, path: string, body: unknown, token?: string): Promise<JsonResponse> {
  for (;;) {
    const started = performance.now();
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`${options.httpUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body), signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new AccountsError(`POST ${path} failed: ${(error as Error).message}. Is the server at ${options.httpUrl} running?`);
    }
    const text = await response.text();
    options.recorder.http(name, performance.now() - started, response.status, Buffer.byteLength(text));
    if (response.status === 429) {
      const waitS = Number(response.headers.get("retry-after") ?? "5");
      if (!(waitS <= MAX_RETRY_WAIT_S)) {
        throw new AccountsError(
          `POST ${path} is rate-limited for ${waitS} s. ` +
            (name === "register"
              ? "Raise REGISTER_RATE_LIMIT_PER_HOUR on the target, or use seeded accounts (npm run seed) instead of --admin-token."
              : "Raise LOGIN_RATE_LIMIT_PER_MINUTE on the target or use fewer clients."),
        );
      }
      options.recorder.count(`accounts.rate_limited_waits`);
      await sleep(waitS * 1000, options.signal);
      continue;
    }
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed };
  }
}

function expectOk(response: JsonResponse, status: number, what: string): unknown {
  if (response.status === status) return response.body;
  const error = (response.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new AccountsError(`Could not ${what}: HTTP ${response.status} ${error?.code ?? ""} ${error?.message ?? ""}`.trim());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
