import { describe, expect, it } from "vitest";
import { isLoopbackHost, resolveTarget, TargetRefusedError } from "../../loadtest/target-guard.js";

describe("the load tester's target guard", () => {
  it("counts 127.0.0.0/8, ::1 and localhost as this machine", () => {
    for (const host of ["127.0.0.1", "127.255.0.9", "localhost", "LOCALHOST", "localhost.", "[::1]", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "[::ffff:7f00:1]"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it("counts everything else as remote, names that merely look local included", () => {
    for (const host of ["10.0.0.1", "128.0.0.1", "0.0.0.0", "192.168.1.2", "example.com", "localhost.example.com", "127.0.0.1.nip.io", "::2", "[::]", "::ffff:10.0.0.1", "1.127.0.0", "127.0.0.256"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("refuses a remote URL unless --allow-remote is given", () => {
    expect(() => resolveTarget("https://game.example.com", false)).toThrow(TargetRefusedError);
    expect(() => resolveTarget("http://10.1.2.3:2567", false)).toThrow(/--allow-remote/);
    expect(resolveTarget("https://game.example.com", true)).toMatchObject({ loopback: false, wsUrl: "wss://game.example.com" });
  });

  it("sees through URL spellings of loopback and of remote hosts", () => {
    expect(resolveTarget("http://127.1:2567", false).loopback).toBe(true); // the URL parser makes it 127.0.0.1
    expect(resolveTarget("http://0x7f.0.0.1:2567", false).loopback).toBe(true);
    expect(() => resolveTarget("http://127.0.0.1@example.com/", false)).toThrow(TargetRefusedError);
  });

  it("derives the WebSocket URL and keeps a path prefix", () => {
    expect(resolveTarget("http://127.0.0.1:2567/", false)).toMatchObject({ httpUrl: "http://127.0.0.1:2567", wsUrl: "ws://127.0.0.1:2567" });
    expect(resolveTarget("https://localhost/game/", false)).toMatchObject({ httpUrl: "https://localhost/game", wsUrl: "wss://localhost/game" });
    expect(resolveTarget("ws://[::1]:2567", false)).toMatchObject({ httpUrl: "http://[::1]:2567", wsUrl: "ws://[::1]:2567" });
  });

  it("refuses what is not an http(s) or ws(s) URL", () => {
    expect(() => resolveTarget("127.0.0.1:2567", false)).toThrow(TargetRefusedError);
    expect(() => resolveTarget("ftp://127.0.0.1", false)).toThrow(/http/);
    expect(() => resolveTarget("not a url", false)).toThrow(TargetRefusedError);
  });
});
