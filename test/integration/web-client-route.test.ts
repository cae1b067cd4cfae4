/** Serving the built browser client at `/` (src/http/routes/web-client-routes.ts), with and without a build. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webClientRoutes } from "../../src/http/routes/web-client-routes.js";

const builtDir = mkdtempSync(path.join(os.tmpdir(), "vlw-web-"));
const emptyDir = mkdtempSync(path.join(os.tmpdir(), "vlw-web-empty-"));
const servers: import("node:http").Server[] = [];

async function serve(distDir: string): Promise<string> {
  const app = express();
  app.use(webClientRoutes({ distDir }));
  app.use((_request, response) => {
    response.status(404).json({ error: { code: "NOT_FOUND", message: "no route" } });
  });
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(() => {
  writeFileSync(path.join(builtDir, "index.html"), "<!doctype html><title>client</title>");
  mkdirSync(path.join(builtDir, "assets"));
  writeFileSync(path.join(builtDir, "assets", "index-abc123.js"), "console.log(1)");
});
afterAll(() => {
  for (const server of servers) server.close();
  rmSync(builtDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});

describe("the web client route", () => {
  it("serves the built page at / with its security policy, revalidated on every visit", async () => {
    const base = await serve(builtDir);
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<title>client</title>");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("content-security-policy")).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("serves content-hashed assets as cacheable for good, and leaves unknown paths to the API's 404", async () => {
    const base = await serve(builtDir);
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/world-map`)).status).toBe(404);
  });

  it("says in one sentence how to build the client when there is no build", async () => {
    const base = await serve(emptyDir);
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/^The web client is not built yet: run `npm run build`[^\n]*\.\n$/);
  });
});
