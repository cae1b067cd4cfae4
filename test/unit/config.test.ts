import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("config", () => {
  it("has defaults that work on a developer machine", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 2567,
      databaseUrl: "postgres://postgres@127.0.0.1:5432/virtual_land_world",
      redisUrl: "redis://127.0.0.1:6379",
      transport: "ws",
      trustProxy: false,
      allowedOrigins: [],
    });
    expect(config.wsMaxPayloadBytes).toBeGreaterThan(16 * 1024 * 1.4); // a 16 KiB ciphertext in base64 fits
  });

  it("names every bad variable at once", () => {
    expect(() => loadConfig({ PORT: "70000", TRANSPORT: "carrier-pigeon" })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: "70000", TRANSPORT: "carrier-pigeon" });
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT/);
      expect((error as Error).message).toMatch(/TRANSPORT/);
    }
  });

  it("refuses development secrets in production but accepts real ones", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET and PASSCODE_PEPPER/);
    expect(() =>
      loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(40), PASSCODE_PEPPER: "y".repeat(40) }),
    ).not.toThrow();
  });

  it("refuses a short secret", () => {
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/JWT_SECRET/);
  });

  it("parses lists and booleans", () => {
    const config = loadConfig({ ALLOWED_ORIGINS: "https://a.example, https://b.example", TRUST_PROXY: "true" });
    expect(config.allowedOrigins).toEqual(["https://a.example", "https://b.example"]);
    expect(config.trustProxy).toBe(true);
  });
});
