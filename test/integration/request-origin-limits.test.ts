import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, uniqueUsername, type ApiClient } from "../helpers/http-client.js";
import { sdkClient } from "../helpers/room-client.js";
import { clientIp } from "../../src/http/client-ip.js";

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer({ REGISTER_RATE_LIMIT_PER_HOUR: "3" });
  api = apiClient(server.baseUrl);
});
afterAll(async () => server?.stop());

describe("who the server believes a client is", () => {
  it("does not take X-Forwarded-For from the client when no trusted proxy is configured: spoofed addresses share one budget", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const username = uniqueUsername("xff");
      const response = await api.call("POST", "/auth/register", {
        body: { username, email: `${username}@example.com`, password: "correct horse battery" },
        headers: { "x-forwarded-for": `203.0.113.${i + 1}` },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it("reads X-Forwarded-For only behind a trusted proxy", () => {
    const request = { headers: { "x-forwarded-for": "198.51.100.7, 10.0.0.1" }, socket: { remoteAddress: "127.0.0.1" } };
    expect(clientIp(request as never, false)).toBe("127.0.0.1");
    expect(clientIp(request as never, true)).toBe("198.51.100.7");
  });

  it("does not let clients create rooms: joinOrCreate works, create is refused", async () => {
    const joined = await sdkClient(server.wsUrl).joinOrCreate("chunk", { cx: 2, cy: 3 });
    await joined.leave();
    await expect(sdkClient(server.wsUrl).create("chunk", { cx: 2, cy: 4 })).rejects.toThrow();
    const rooms = await server.server.services.redis.hkeys(`${server.environment.queuePrefix}:cy:roomcaches`);
    expect(rooms).not.toContain("chunk_2_4");
  });
});
