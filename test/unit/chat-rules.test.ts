import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FloodDetector,
  formatTimestampMicros,
  lockoutDurationMs,
  locksOut,
  MAX_CIPHERTEXT_BYTES,
  nextTimestampMicros,
  strictBase64ByteLength,
} from "../../src/domain/chat/index.js";
import { chatHistoryQuery, chatMessageSchemas, landChatJoinOptions } from "../../src/protocol/room-messages.js";

const MINUTE = 60_000;

describe("strict base64", () => {
  it("accepts what Node encodes from any bytes and reports the decoded length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        expect(strictBase64ByteLength(text)).toBe(bytes.length);
      }),
    );
  });

  it("refuses missing or misplaced padding, foreign characters, whitespace and non-canonical last symbols", () => {
    for (const bad of ["QQ", "QQ=", "Q===", "QU=I", "QQ==QUJD", "QUJD\n", " QUJD", "QU JD", "QR==", "QUK=", "ÀÀÀÀ", "QUJ\u0000"]) {
      expect(strictBase64ByteLength(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it("refuses base64url, which the contract does not name", () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]);
    expect(strictBase64ByteLength(bytes.toString("base64url"))).toBeUndefined();
    expect(strictBase64ByteLength(bytes.toString("base64"))).toBe(3);
  });
});

describe("the msg payload", () => {
  const valid = () => ({
    req: "r1",
    ciphertext: randomBytes(100).toString("base64"),
    iv: randomBytes(12).toString("base64"),
    v: "1.0",
    type: "text",
  });

  it("accepts a ciphertext of exactly 16 KiB and refuses one byte more", () => {
    expect(chatMessageSchemas.msg.safeParse({ ...valid(), ciphertext: randomBytes(MAX_CIPHERTEXT_BYTES).toString("base64") }).success).toBe(true);
    expect(chatMessageSchemas.msg.safeParse({ ...valid(), ciphertext: randomBytes(MAX_CIPHERTEXT_BYTES + 1).toString("base64") }).success).toBe(false);
  });

  it("refuses each malformed variant and accepts the well-formed one", () => {
    expect(chatMessageSchemas.msg.safeParse(valid()).success).toBe(true);
    const variants: Array<Record<string, unknown>> = [
      { ...valid(), ciphertext: "not base64!" },
      { ...valid(), ciphertext: "" },
      { ...valid(), iv: randomBytes(11).toString("base64") },
      { ...valid(), iv: randomBytes(13).toString("base64") },
      { ...valid(), v: "2.0" },
      { ...valid(), v: 1 },
      { ...valid(), type: "video" },
      { ...valid(), req: 7 },
      { ...valid(), req: "x".repeat(65) },
      { ...valid(), extra: true },
      { ...valid(), ciphertext: 12 },
    ];
    const { req: _req, ...withoutReq } = valid();
    variants.push(withoutReq);
    for (const variant of variants) expect(chatMessageSchemas.msg.safeParse(variant).success, JSON.stringify(variant).slice(0, 80)).toBe(false);
  });

  it("takes only lowercase land ids, so one land cannot get two rooms", () => {
    const id = "0b6f3f1e-2c4d-4e5f-8a9b-0c1d2e3f4a5b";
    expect(landChatJoinOptions.safeParse({ land_id: id }).success).toBe(true);
    expect(landChatJoinOptions.safeParse({ land_id: id.toUpperCase() }).success).toBe(false);
    expect(landChatJoinOptions.safeParse({ land_id: "chunk_1_2" }).success).toBe(false);
  });

  it("pages with a message id or an ISO time, 1 to 100 at a time", () => {
    expect(chatHistoryQuery.parse({})).toEqual({ limit: 50 });
    expect(chatHistoryQuery.parse({ before: "2025-01-02T03:04:05.123456Z", limit: "100" }).limit).toBe(100);
    expect(chatHistoryQuery.safeParse({ limit: "101" }).success).toBe(false);
    expect(chatHistoryQuery.safeParse({ limit: "0" }).success).toBe(false);
    expect(chatHistoryQuery.safeParse({ before: "yesterday" }).success).toBe(false);
  });
});

describe("passcode lockouts", () => {
  it("lock for 15 minutes the first time and double on each repeat, up to a day", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(lockoutDurationMs)).toEqual([15, 30, 60, 120, 240, 480, 960].map((m) => m * MINUTE));
    expect(lockoutDurationMs(7)).toBe(24 * 60 * MINUTE);
    expect(lockoutDurationMs(1000)).toBe(24 * 60 * MINUTE);
    expect(() => lockoutDurationMs(-1)).toThrow(RangeError);
  });

  it("lock out on the fifth wrong attempt exactly", () => {
    expect([1, 2, 3, 4, 5, 6].map(locksOut)).toEqual([false, false, false, false, true, false]);
  });
});

describe("flood detection", () => {
  it("tolerates the burst plus the sustained rate, but not more than three times the rate over three seconds", () => {
    const detector = FloodDetector.forRate(10);
    expect(detector.threshold).toBe(90);
    for (let i = 0; i < 90; i++) expect(detector.record(1000 + i)).toBe(false);
    expect(detector.record(1100)).toBe(true);
  });

  it("forgets messages once they slide out of the window", () => {
    const detector = new FloodDetector(10, 1000);
    for (let i = 0; i < 6; i++) expect(detector.record(0)).toBe(false);
    for (let i = 0; i < 4; i++) expect(detector.record(850)).toBe(false);
    expect(detector.record(1020)).toBe(false); // the six at t=0 are out of the window now
    for (let i = 0; i < 5; i++) expect(detector.record(1030)).toBe(false); // 4 + 1 + 5 = 10
    expect(detector.record(1040)).toBe(true);
    expect(detector.record(60_000)).toBe(false); // after a long pause, a clean slate

    const remembering = new FloodDetector(10, 1000);
    for (let i = 0; i < 6; i++) remembering.record(0);
    for (let i = 0; i < 4; i++) expect(remembering.record(850)).toBe(false);
    expect(remembering.record(860)).toBe(true); // the six at t=0 still count
  });

  it("never fires for a client that stays at two and a half times the rate", () => {
    const detector = FloodDetector.forRate(10);
    for (let i = 0; i < 25 * 60; i++) expect(detector.record(i * 40)).toBe(false); // 25 per second for a minute
  });

  it("fires within a few seconds for a client at a bit over three times the rate", () => {
    const detector = FloodDetector.forRate(10);
    let firedAt: number | undefined;
    for (let i = 0; i < 35 * 10 && firedAt === undefined; i++) if (detector.record(i * (1000 / 35))) firedAt = i * (1000 / 35);
    expect(firedAt).toBeDefined();
    expect(firedAt!).toBeLessThan(3_000);
  });
});

describe("message timestamps", () => {
  it("strictly increase even when the clock stands still or steps back", () => {
    let last = 0;
    const seen: number[] = [];
    for (const now of [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_000, 1_699_999_999_000, 1_700_000_000_001]) {
      last = nextTimestampMicros(last, now);
      seen.push(last);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
  });

  it("print as ISO-8601 UTC with six fractional digits that sort like the numbers", () => {
    expect(formatTimestampMicros(1_700_000_000_123_456)).toBe("2023-11-14T22:13:20.123456Z");
    expect(formatTimestampMicros(1_700_000_000_000_007)).toBe("2023-11-14T22:13:20.000007Z");
    expect(Date.parse(formatTimestampMicros(1_700_000_000_123_456))).toBe(1_700_000_000_123);
    expect(formatTimestampMicros(1_700_000_000_000_009) < formatTimestampMicros(1_700_000_000_000_010)).toBe(true);
  });
});
