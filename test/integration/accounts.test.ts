import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, uniqueUsername, type ApiClient } from "../helpers/http-client.js";

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer({ LOGIN_RATE_LIMIT_PER_MINUTE: "5", REGISTER_RATE_LIMIT_PER_HOUR: "1000" });
  api = apiClient(server.baseUrl);
});
afterAll(async () => server?.stop());

function expectContractError(response: { status: number; body: any }, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
}

describe("registration, login and /me", () => {
  it("registers a user, logs in by username or email in any case, and shows the user at /me", async () => {
    const username = uniqueUsername("Alice");
    const registered = await api.post("/auth/register", {
      username,
      email: `${username}@Example.com`,
      password: "correct horse battery",
    });
    expect(registered.status).toBe(201);
    expect(registered.body.user).toEqual({
      user_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username,
      role: "user",
      balance_bdt: 0,
      held_bdt: 0,
    });
    expect(registered.body.token).toEqual(expect.any(String));

    const byName = await api.post("/auth/login", { login: username.toUpperCase(), password: "correct horse battery" });
    expect(byName.status).toBe(200);
    const byEmail = await api.post("/auth/login", { login: `${username}@example.COM`, password: "correct horse battery" });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.user.user_id).toBe(registered.body.user.user_id);

    const me = await api.get("/me", byEmail.body.token);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: registered.body.user });
  });

  it("stores an argon2id hash, never the password", async () => {
    const user = await registerUser(api);
    const { rows } = await server.db.query("SELECT password_hash FROM users WHERE user_id = $1", [user.userId]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0].password_hash).not.toContain("correct horse battery");
  });

  it("answers a wrong password and an unknown login alike with 401 UNAUTHENTICATED", async () => {
    const user = await registerUser(api);
    expectContractError(await api.post("/auth/login", { login: user.username, password: "wrong password!" }), 401, "UNAUTHENTICATED");
    const unknown = await api.post("/auth/login", { login: "nobody_here_at_all", password: "wrong password!" });
    expectContractError(unknown, 401, "UNAUTHENTICATED");
  });

  it("refuses /me without a token", async () => {
    expectContractError(await api.get("/me"), 401, "UNAUTHENTICATED");
    expectContractError(await api.call("GET", "/me", { headers: { authorization: "Basic abc" } }), 401, "UNAUTHENTICATED");
  });
});

describe("bad registration input is answered with the contract's error and creates nothing", () => {
  const valid = () => {
    const username = uniqueUsername("valid");
    return { username, email: `${username}@example.com`, password: "correct horse battery" };
  };
  const cases: Array<[string, (body: Record<string, unknown>) => unknown]> = [
    ["a missing username", ({ username: _u, ...rest }) => rest],
    ["a missing email", ({ email: _e, ...rest }) => rest],
    ["a missing password", ({ password: _p, ...rest }) => rest],
    ["an extra field", (body) => ({ ...body, role: "admin" })],
    ["a bad email", (body) => ({ ...body, email: "not-an-email" })],
    ["an email with a space", (body) => ({ ...body, email: "a b@example.com" })],
    ["a short password", (body) => ({ ...body, password: "short" })],
    ["a two-letter username", (body) => ({ ...body, username: "ab" })],
    ["a 33-letter username", (body) => ({ ...body, username: "a".repeat(33) })],
    ["a username with a Cyrillic look-alike letter", (body) => ({ ...body, username: "p\u0430ypal_user" })],
    ["a username with a zero-width space", (body) => ({ ...body, username: "zero\u200bwidth" })],
    ["a username with full-width letters", (body) => ({ ...body, username: "\uff41\uff44\uff4d\uff49\uff4e" })],
    ["an email with a right-to-left override", (body) => ({ ...body, email: "evil\u202e@example.com" })],
    ["a number where a string belongs", (body) => ({ ...body, username: 12345 })],
    ["an array body", () => ["x"]],
    ["a null body", () => null],
  ];
  it.each(cases)("refuses %s with 400 INVALID_INPUT", async (_label, mutate) => {
    const body = valid();
    const before = await server.db.query("SELECT count(*)::int AS n FROM users");
    const response = await api.call("POST", "/auth/register", { rawBody: JSON.stringify(mutate(body)) });
    expectContractError(response, 400, "INVALID_INPUT");
    const after = await server.db.query("SELECT count(*)::int AS n FROM users");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("refuses malformed JSON with 400 INVALID_INPUT", async () => {
    expectContractError(await api.call("POST", "/auth/register", { rawBody: "{\"username\":" }), 400, "INVALID_INPUT");
  });

  it("refuses a 1 MB body with 413 and INVALID_INPUT", async () => {
    const response = await api.call("POST", "/auth/register", {
      rawBody: JSON.stringify({ ...valid(), bio: "x".repeat(1024 * 1024) }),
    });
    expectContractError(response, 413, "INVALID_INPUT");
  });

  it("refuses a username taken in another case, and an email taken in another case, with 409 CONFLICT", async () => {
    const first = valid();
    expect((await api.post("/auth/register", first)).status).toBe(201);
    const sameNameOtherCase = { ...valid(), username: first.username.toUpperCase() };
    expectContractError(await api.post("/auth/register", sameNameOtherCase), 409, "CONFLICT");
    const sameEmailOtherCase = { ...valid(), email: first.email.toUpperCase() };
    expectContractError(await api.post("/auth/register", sameEmailOtherCase), 409, "CONFLICT");
  });

  it("refuses unknown routes with 404 NOT_FOUND in the contract's shape", async () => {
    expectContractError(await api.get("/no/such/route"), 404, "NOT_FOUND");
  });
});

describe("login rate limits", () => {
  it("limits wrong passwords per account (shared in Redis) with 429 RATE_LIMITED and a Retry-After", async () => {
    const user = await registerUser(api);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      statuses.push((await api.post("/auth/login", { login: user.username, password: "wrong password!" })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await api.post("/auth/login", { login: user.username, password: "correct horse battery" });
    expectContractError(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("registration rate limits", () => {
  it("limits repeated registrations of one username per hour, whatever the address, with 429 RATE_LIMITED", async () => {
    const username = uniqueUsername("taken");
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const response = await api.post("/auth/register", {
        username,
        email: `${username}_${attempt}@example.com`,
        password: "correct horse battery",
      });
      statuses.push(response.status);
    }
    expect(statuses[0]).toBe(201);
    expect(statuses.slice(1, 10).every((status) => status === 409)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});
