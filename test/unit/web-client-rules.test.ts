/**
 * The browser client's pure parts: triangle geometry and picking, which chunk
 * rooms it keeps, decoding terrain, chat keys in links, and error sentences.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_WORLD_CONFIG, encodeChunkPacked, generateChunk, landTerrain } from "../../src/domain/world/index.js";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import {
  base64UrlToKeyBytes,
  bytesToBase64Url,
  decryptText,
  encryptText,
  generateChatKey,
  importChatKey,
} from "../../src/protocol/chat-cipher.js";
import { chunkKey, chunksInView, landAt, landCentroid, pointsUp, triangleCorners, type ChunkRange } from "../../web/src/world-geometry.js";
import { planChunkRooms } from "../../web/src/chunk-window.js";
import { decodePackedChunk, terrainOf } from "../../web/src/packed-terrain.js";
import { fragmentFor, parseFragment } from "../../web/src/chat-keys.js";
import { describeError } from "../../web/src/error-text.js";

const world = { width: 1024, height: 1024, chunkSize: 32 };

describe("the map's geometry", () => {
  it("finds the land whose triangle holds a point: every land's centroid picks that land", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 1023 }), (x, y) => {
        const { u, v } = landCentroid(x, y);
        expect(landAt(u, v, world)).toEqual({ x, y });
      }),
    );
  });

  it("draws up-pointing triangles where x + y is even, with the apex on top", () => {
    expect(pointsUp(2, 4)).toBe(true);
    const [apexU, apexV, , baseV] = triangleCorners(2, 4);
    expect(apexU).toBe(1.5);
    expect(apexV).toBeLessThan(baseV);
    expect(pointsUp(3, 4)).toBe(false);
  });

  it("finds no land outside the world", () => {
    expect(landAt(-1, 5, world)).toBeUndefined();
    expect(landAt(5, -0.1, world)).toBeUndefined();
    expect(landAt(5, 1024 * Math.sqrt(3), world)).toBeUndefined();
  });

  it("lists the chunks a view touches, clamped to the world", () => {
    expect(chunksInView(0, 0, 20, 30, world)).toEqual({ cx0: 0, cy0: 0, cx1: 1, cy1: 1 });
    expect(chunksInView(-100, -100, -50, -50, world)).toBeUndefined();
  });
});

describe("which chunk rooms the map keeps joined", () => {
  const view = (cx0: number, cy0: number, cx1: number, cy1: number): ChunkRange => ({ cx0, cy0, cx1, cy1 });
  const options = { margin: 1, maxRooms: 30 };
  const keys = (chunks: { cx: number; cy: number }[]) => chunks.map((c) => chunkKey(c.cx, c.cy)).sort();

  it("joins every chunk in view that it has not joined", () => {
    const plan = planChunkRooms(view(2, 2, 3, 3), ["2,2"], options);
    expect(keys(plan.join)).toEqual(["2,3", "3,2", "3,3"]);
    expect(plan.leave).toEqual([]);
  });

  it("keeps a chunk just out of view and leaves it only beyond the margin", () => {
    expect(planChunkRooms(view(3, 2, 4, 3), ["2,2"], options).leave).toEqual([]);
    expect(keys(planChunkRooms(view(4, 2, 5, 3), ["2,2"], options).leave)).toEqual(["2,2"]);
  });

  it("does not join and leave the same room while the view wobbles across a chunk border", () => {
    const joined = new Set<string>();
    let joins = 0;
    let leaves = 0;
    for (let step = 0; step < 20; step++) {
      const shift = step % 2;
      const plan = planChunkRooms(view(5 + shift, 5, 7 + shift, 6), joined, options);
      for (const c of plan.leave) (joined.delete(chunkKey(c.cx, c.cy)), leaves++);
      for (const c of plan.join) (joined.add(chunkKey(c.cx, c.cy)), joins++);
    }
    expect(joins).toBe(8); // 3×2 at first, then the column the first wobble reveals
    expect(leaves).toBe(0);
  });

  it("joins nothing new when too many chunks are in view, but keeps the pinned one", () => {
    const plan = planChunkRooms(view(0, 0, 9, 9), [], { ...options, pinned: new Set(["20,20"]) });
    expect(plan.tooFarOut).toBe(true);
    expect(keys(plan.join)).toEqual(["20,20"]);
    expect(planChunkRooms(view(0, 0, 1, 1), ["20,20"], { ...options, pinned: new Set(["20,20"]) }).leave).toEqual([]);
  });
});

describe("terrain decoding in the browser", () => {
  it("reads the server's packed chunk exactly as the generator made it", () => {
    const chunk = decodePackedChunk(encodeChunkPacked(generateChunk(DEFAULT_WORLD_CONFIG, 3, 4)));
    for (const [x, y] of [[96, 128], [127, 159], [110, 140]] as const) {
      const expected = landTerrain(DEFAULT_WORLD_CONFIG, x, y);
      const decoded = terrainOf(chunk, x, y);
      expect(decoded.biome).toBe(expected.biome);
      expect(decoded.price_bdt).toBe(expected.price_bdt);
      expect("#" + decoded.rgb.map((c) => c.toString(16).padStart(2, "0")).join("")).toBe(expected.color_hex);
      expect(decoded.elevation).toBeCloseTo(expected.elevation, 4);
    }
  });

  it("refuses a body in another format", () => {
    expect(() => decodePackedChunk({ format: "vlw-chunk-9" } as never)).toThrow(TypeError);
  });
});

describe("chat keys and links", () => {
  it("carries a generated key through a link's fragment and decrypts what it encrypted", async () => {
    const { raw, key } = await generateChatKey();
    const link = fragmentFor(12, 34, bytesToBase64Url(raw));
    const parsed = parseFragment(link)!;
    expect(parsed).toMatchObject({ x: 12, y: 34 });
    const sameKey = await importChatKey(base64UrlToKeyBytes(parsed.key!));
    const sealed = await encryptText(key, "meet at the river");
    expect(sealed.ciphertext).not.toContain("river");
    expect(Buffer.from(sealed.iv, "base64")).toHaveLength(12);
    expect(await decryptText(sameKey, sealed.ciphertext, sealed.iv)).toBe("meet at the river");
  });

  it("fails to decrypt with another key", async () => {
    const sealed = await encryptText((await generateChatKey()).key, "secret");
    await expect(decryptText((await generateChatKey()).key, sealed.ciphertext, sealed.iv)).rejects.toThrow();
  });

  it("ignores fragments that are not a land link, and keys of the wrong shape", () => {
    expect(parseFragment("#about")).toBeUndefined();
    expect(parseFragment("#land=1,2&key=short")).toEqual({ x: 1, y: 2, key: undefined });
  });
});

describe("error sentences", () => {
  it("has a sentence for every code of the contract", () => {
    for (const code of Object.values(ErrorCode)) {
      const sentence = describeError(code);
      expect(sentence, code).toMatch(/^[A-Z].*[.)]$/);
      expect(sentence, code).not.toContain(code);
    }
  });

  it("uses the server's own sentence where it is one, and adds the detail of a bad form", () => {
    expect(describeError("CONFLICT", "That username is taken.")).toBe("That username is taken.");
    expect(describeError("INVALID_INPUT", "price_bdt: Too small")).toContain("(price_bdt: Too small)");
    expect(describeError("INSUFFICIENT_FUNDS", "insufficient funds")).toMatch(/^You do not have enough/);
  });
});
