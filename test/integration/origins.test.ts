import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { originAllowed } from "../../src/http/origin-policy.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ ALLOWED_ORIGINS: "https://play.example" });
});
afterAll(async () => server?.stop());

/** Opens a raw WebSocket to the matchmaker's port with the given Origin; resolves with the HTTP status of a refusal, or 101. */
function upgradeStatus(origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.wsUrl}/anything`, origin ? { headers: { Origin: origin } } : {});
    socket.on("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("upgrade", () => {
      resolve(101);
      socket.terminate();
    });
    socket.on("error", (error) => {
      if (!String(error.message).includes("Unexpected server response")) reject(error);
    });
  });
}

describe("origins", () => {
  it("refuses a WebSocket from a page of another origin with 403 before the handshake", async () => {
    expect(await upgradeStatus("https://evil.example")).toBe(403);
  });

  it("lets a listed origin, the server's own origin and a program without an Origin reach the handshake", async () => {
    for (const origin of ["https://play.example", `http://127.0.0.1:${server.port}`, undefined]) {
      expect(await upgradeStatus(origin), String(origin)).not.toBe(403);
    }
  });

  it("answers CORS for listed origins only, and never reflects an unknown origin with credentials", async () => {
    const preflight = async (origin: string) =>
      fetch(`${server.baseUrl}/me`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "GET" } });
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(evil.headers.get("access-control-allow-credentials")).toBeNull();
    const listed = await preflight("https://play.example");
    expect(listed.headers.get("access-control-allow-origin")).toBe("https://play.example");
  });

  it("the rule itself: no origin, a listed origin and the same host pass; others and garbage fail", () => {
    expect(originAllowed(undefined, "a:1", [])).toBe(true);
    expect(originAllowed("https://x.example", "a:1", ["https://x.example"])).toBe(true);
    expect(originAllowed("http://a:1", "a:1", [])).toBe(true);
    expect(originAllowed("http://b:1", "a:1", [])).toBe(false);
    expect(originAllowed("not a url", "a:1", [])).toBe(false);
  });
});
