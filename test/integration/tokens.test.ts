import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { joinRefusal, sdkClient } from "../helpers/room-client.js";

let server: TestServer;
let api: ApiClient;
let user: { token: string; userId: string; username: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  user = await registerUser(api);
});
afterAll(async () => server?.stop());

function forge(options: { secret?: string; algorithm?: jwt.Algorithm; audience?: string; issuer?: string; expiresIn?: number; noExp?: boolean; sub?: string }) {
  const { jwt: settings } = server.environment.config;
  const payload: Record<string, unknown> = { username: user.username };
  return jwt.sign(payload, options.secret ?? settings.secret, {
    algorithm: options.algorithm ?? "HS256",
    subject: options.sub ?? user.userId,
    issuer: options.issuer ?? settings.issuer,
    audience: options.audience ?? settings.audience,
    ...(options.noExp ? {} : { expiresIn: options.expiresIn ?? 600 }),
  });
}

function unsignedToken(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const { jwt: settings } = server.environment.config;
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: "none", typ: "JWT" })}.${encode({
    sub: user.userId,
    username: user.username,
    iss: settings.issuer,
    aud: settings.audience,
    exp: now + 600,
    iat: now,
  })}.`;
}

const badTokens: Array<[string, () => string]> = [
  ["signed with the wrong secret", () => forge({ secret: "another-secret-that-is-long-enough-to-sign-with" })],
  ["with alg none", unsignedToken],
  ["expired", () => forge({ expiresIn: -60 })],
  ["for the wrong audience", () => forge({ audience: "someone-else" })],
  ["from the wrong issuer", () => forge({ issuer: "someone-else" })],
  ["without an exp claim", () => forge({ noExp: true })],
  ["signed with HS512 instead of the pinned HS256", () => forge({ algorithm: "HS512" })],
  ["that is not a JWT at all", () => "not-a-token"],
];

describe("tokens that must be refused", () => {
  it("accepts the genuine token, so the refusals below are about the token", async () => {
    expect((await api.get("/me", user.token)).status).toBe(200);
    expect((await api.get("/me", forge({}))).status).toBe(200);
    const room = await sdkClient(server.wsUrl, forge({})).joinOrCreate("chunk", { cx: 1, cy: 1 });
    await room.leave();
  });

  it.each(badTokens)("refuses a token %s over HTTP with 401 UNAUTHENTICATED", async (_label, make) => {
    const response = await api.get("/me", make());
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
  });

  it.each(badTokens)("refuses a token %s in a room's onAuth", async (_label, make) => {
    const refusal = await joinRefusal(sdkClient(server.wsUrl, make()).joinOrCreate("chunk", { cx: 1, cy: 1 }));
    expect(refusal).toEqual({ code: 401, message: "UNAUTHENTICATED" });
  });

  it("refuses the token of a deleted user over HTTP and in a room", async () => {
    const doomed = await registerUser(api, "doomed");
    expect((await api.get("/me", doomed.token)).status).toBe(200);
    await server.db.query("UPDATE users SET deleted_at = now() WHERE user_id = $1", [doomed.userId]);
    expect((await api.get("/me", doomed.token)).status).toBe(401);
    const refusal = await joinRefusal(sdkClient(server.wsUrl, doomed.token).joinOrCreate("chunk", { cx: 1, cy: 1 }));
    expect(refusal.message).toBe("UNAUTHENTICATED");
  });
});
