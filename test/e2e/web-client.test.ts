/**
 * The browser client end to end: a real server, a real Chromium (Debian's,
 * driven by playwright-core), two players in two browser contexts, and a
 * third bidder through the SDK. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { eventually, resultCollector, sdkClient } from "../helpers/room-client.js";
import { base64UrlToKeyBytes, decryptText, importChatKey } from "../../src/protocol/chat-cipher.js";
import { parseFragment } from "../../web/src/chat-keys.js";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
/** Waits for the browser are generous: the machine is small and shared. */
const UI_TIMEOUT_MS = 20_000;

/** The land the players trade: away from the world's centre, where the map starts. */
const LAND = { x: 301, y: 205 };
const PASSCODE = "2468";

let server: TestServer;
let api: ApiClient;
let admin: { token: string; userId: string };
let browser: Browser;
const contexts: BrowserContext[] = [];
const consoleErrors: string[] = [];
/** Console lines a step provokes on purpose (a refused request), each allowed once. */
const expectedRefusals: RegExp[] = [];
let alice: Page;
let bob: Page;
const aliceName = `alice_${process.pid % 10000}`;
let bobAccount: { token: string; userId: string; username: string };
let listingId = "";

async function newPlayerPage(options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const line = `${message.text()} (${message.location().url})`;
    // Chromium logs every 4xx answer; the one a test provokes on purpose is not a fault.
    const expected = expectedRefusals.findIndex((pattern) => pattern.test(line));
    if (expected >= 0) expectedRefusals.splice(expected, 1);
    else consoleErrors.push(line);
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  await page.goto(server.baseUrl);
  await page.waitForSelector("body[data-ready='true']");
  return page;
}

/** The colour the map shows at its centre, where "Go" puts the selected land. */
async function centrePixel(page: Page): Promise<[number, number, number]> {
  return page.evaluate(() => {
    const canvas = document.getElementById("map") as HTMLCanvasElement;
    const pixel = canvas.getContext("2d")!.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data;
    return [pixel[0]!, pixel[1]!, pixel[2]!] as [number, number, number];
  });
}

async function goToLand(page: Page, x: number, y: number): Promise<void> {
  await page.fill("#goto-x", String(x));
  await page.fill("#goto-y", String(y));
  await page.click("#goto-submit");
  await page.waitForSelector(`#land-panel[data-land='${x},${y}'] #land-owner`);
  await page.waitForSelector("#map[data-ready='true']");
}

async function userIdOf(username: string): Promise<string> {
  const row = await server.db.query("SELECT user_id FROM users WHERE username = $1", [username]);
  return row.rows[0].user_id as string;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium" (.ci/run does this), or set CHROMIUM_PATH.`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  // The tests always run the client as built from the current sources.
  await build({ configFile: path.join(ROOT, "web", "vite.config.ts"), logLevel: "warn" });
  server = await startTestServer();
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
  bobAccount = await registerUser(api, "bob");
  await fund(api, admin.token, bobAccount.userId, 50_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}, 120_000);

// A failed step leaves pictures of both players' screens and the notices they saw.
afterEach(async (context) => {
  if (context.task.result?.state !== "fail") return;
  const name = context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
  for (const [who, page] of [["alice", alice], ["bob", bob]] as const) {
    if (!page || page.isClosed()) continue;
    await page.screenshot({ path: path.join(ARTIFACTS, `failed-${name}-${who}.png`) }).catch(() => undefined);
  }
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe("the web client", () => {
  it("is served at / with a policy that keeps scripts to its own origin", async () => {
    const response = await fetch(`${server.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await response.text()).toContain('id="map"');
    // The API around it still answers as before.
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/no-such-route`)).status).toBe(404);
  });

  it("lets one player register and buy a land, and the other player sees it change colour", async () => {
    alice = await newPlayerPage();
    bob = await newPlayerPage();

    // Alice registers through the form; Bob logs in with an account he already has.
    await alice.fill("#register-username", aliceName);
    await alice.fill("#register-email", `${aliceName}@example.com`);
    await alice.fill("#register-password", "correct horse battery");
    await alice.click("#register-submit");
    await alice.waitForSelector("#balance");
    await fund(api, admin.token, await userIdOf(aliceName), 50_000);
    await bob.fill("#login-name", bobAccount.username);
    await bob.fill("#login-password", "correct horse battery");
    await bob.click("#login-submit");
    await bob.waitForSelector("#balance[data-balance='50000']");
    await alice.reload();
    await alice.waitForSelector("#balance[data-balance='50000']");

    await goToLand(alice, LAND.x, LAND.y);
    await goToLand(bob, LAND.x, LAND.y);
    expect(await bob.textContent("#land-owner")).toBe("nobody yet");
    const before = await centrePixel(bob);

    await alice.click("#buy-land");
    await alice.waitForSelector(`#land-owner:text("${aliceName} (you)")`);
    // Bob's map repaints the land in the "owned" colour from the room's patch, without reloading anything.
    await bob.waitForSelector(`#land-owner:text-is("${aliceName}")`);
    await eventually(async () => {
      const after = await centrePixel(bob);
      return after.some((channel, i) => Math.abs(channel - before[i]!) > 20);
    }, UI_TIMEOUT_MS);
    await alice.waitForSelector("#balance:not([data-balance='50000'])");
    // Her sign reaches Bob live.
    await alice.fill("#sign-text", "Alice's meadow");
    await alice.click("#sign-form button[type='submit']");
    await bob.waitForSelector(`#land-message:text-is("Alice's meadow")`);
    // Her account lists the land and the purchase.
    await alice.click("#account-details summary");
    await alice.waitForSelector(`#my-lands button:text-is("Land (${LAND.x}, ${LAND.y})")`);
    await alice.waitForSelector(`#transactions li:has-text("Bought land (${LAND.x}, ${LAND.y})")`);
    await bob.screenshot({ path: path.join(ARTIFACTS, "web-client-map.png") });
  }, 90_000);

  it("lets the owner list at auction and the other player bid, be outbid, outbid back, and follow the soft close", async () => {
    await alice.selectOption("#list-type", "auction");
    await alice.fill("#list-price", "500");
    await alice.fill("#list-duration", "10");
    await alice.selectOption("#list-duration-unit", "60");
    await alice.check("#list-soft-close");
    await alice.fill("#list-extend-s", "900"); // longer than the auction: every bid extends it
    await alice.click("#list-submit");
    await alice.waitForSelector("#auction-countdown");

    await bob.waitForSelector("#bid-form");
    const endBefore = Number(await bob.getAttribute("#auction-countdown", "data-end-ms"));
    expect(await bob.textContent("#auction-min-bid")).toBe("500 BDT");
    await bob.fill("#bid-amount", "500");
    await bob.click("#bid-submit");
    await bob.waitForSelector("#auction-leader:text-is('you')");
    // The countdown follows the extension the bid caused.
    await eventually(async () => Number(await bob.getAttribute("#auction-countdown", "data-end-ms")) > endBefore, UI_TIMEOUT_MS);

    // A third player outbids Bob through the SDK; Bob's browser tells him.
    const land = await server.db.query("SELECT l.listing_id FROM listings l JOIN lands d USING (land_id) WHERE d.x = $1 AND d.y = $2 AND l.status = 'active'", [LAND.x, LAND.y]);
    listingId = land.rows[0].listing_id as string;
    const carol = await registerUser(api, "carol");
    await fund(api, admin.token, carol.userId, 50_000);
    const carolRoom = await sdkClient(server.wsUrl, carol.token).joinOrCreate("chunk", { cx: Math.floor(LAND.x / 32), cy: Math.floor(LAND.y / 32) });
    const carolResults = resultCollector(carolRoom);
    const carolBid = await carolResults.send("bid", { req: "carol-bid-1", listing_id: listingId, amount_bdt: 800 }, 20_000);
    expect(carolBid, JSON.stringify(carolBid)).toMatchObject({ ok: true });
    await carolRoom.leave();
    await bob.waitForSelector(".toast-error:has-text('outbid')");
    await bob.waitForSelector("#auction-leader:not(:text-is('you'))");
    await bob.waitForSelector("#bid-history li[data-bidder='" + carol.username + "']");

    // Bob bids the new minimum and leads again; everyone sees the new price.
    const minimum = (await bob.textContent("#auction-min-bid"))!.replace(/[^\d]/g, "");
    expect(Number(minimum)).toBeGreaterThan(500);
    await bob.fill("#bid-amount", "2000");
    await bob.click("#bid-submit");
    await bob.waitForSelector("#auction-leader:text-is('you')");
    await bob.waitForSelector("#bid-history li[data-bidder='" + carol.username + "']");
    // Proxy bidding: one increment (25 BDT in this band) above Carol's maximum of 800.
    await bob.waitForSelector("#auction-price:text-is('825 BDT')");
    await alice.waitForSelector("#auction-price:text-is('825 BDT')");
    await bob.waitForSelector("#held:not([data-held='0'])");
    await bob.screenshot({ path: path.join(ARTIFACTS, "web-client-auction.png") });
  }, 90_000);

  it("lets both players chat on the fenced land with the key from the link, while the database holds only ciphertext", async () => {
    await alice.fill("#fence-passcode", PASSCODE);
    await alice.click("#fence-form button[type='submit']");
    await alice.waitForSelector("#land-fence:has-text('fenced')");
    await alice.click("#open-chat");
    const link = await (await alice.waitForSelector("#chat-link")).inputValue();
    const key = parseFragment(new URL(link).hash)?.key;
    expect(key, link).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Bob opens the shared link: the land is fenced, so the chat asks him for its passcode.
    await bob.goto(link);
    await bob.waitForSelector("#chat-passcode");
    await bob.fill("#chat-passcode", PASSCODE);
    await bob.click("#chat-panel button[type='submit']");
    await bob.waitForSelector("#chat-input");

    await alice.fill("#chat-input", "Hello from Alice, the owner");
    await alice.click("#chat-form button[type='submit']");
    await bob.waitForSelector("#chat-messages li:has-text('Hello from Alice, the owner')");
    await bob.fill("#chat-input", "Hi Alice, Bob here");
    await bob.click("#chat-form button[type='submit']");
    await alice.waitForSelector("#chat-messages li:has-text('Hi Alice, Bob here')");
    expect(await alice.locator("#chat-messages li").count()).toBe(2);

    const rows = await server.db.query(
      "SELECT m.encrypted_payload, m.iv FROM messages m JOIN lands l USING (land_id) WHERE l.x = $1 AND l.y = $2 ORDER BY m.created_at",
      [LAND.x, LAND.y],
    );
    expect(rows.rows).toHaveLength(2);
    const stored = JSON.stringify(rows.rows);
    expect(stored).not.toContain("Alice");
    expect(stored).not.toContain("Bob");
    // What is stored is AES-GCM under the link's key: it opens with that key and nothing else is needed.
    const chatKey = await importChatKey(base64UrlToKeyBytes(key!));
    const texts = await Promise.all(rows.rows.map((row) => decryptText(chatKey, row.encrypted_payload, row.iv)));
    expect(texts).toEqual(["Hello from Alice, the owner", "Hi Alice, Bob here"]);
  }, 90_000);

  it("lets a seller list at a fixed price, cancel, list at buy-now, and the other player buy it", async () => {
    const second = { x: LAND.x + 2, y: LAND.y };
    await goToLand(bob, second.x, second.y);
    await bob.click("#buy-land");
    await bob.waitForSelector(`#land-owner:text-is("${bobAccount.username} (you)")`);
    await bob.selectOption("#list-type", "fixed_price");
    await bob.fill("#list-price", "3000");
    await bob.click("#list-submit");
    await bob.waitForSelector("#cancel-listing");
    await goToLand(alice, second.x, second.y);
    await alice.waitForSelector("#buy-listing:text-is('Buy now for 3,000 BDT')");

    await bob.click("#cancel-listing");
    await bob.waitForSelector("#list-form");
    await alice.waitForSelector("#land-listing:text-is('not for sale')");

    await bob.selectOption("#list-type", "buy_now");
    await bob.fill("#list-price", "2500");
    await bob.click("#list-submit");
    await bob.waitForSelector("#cancel-listing");
    await bob.waitForSelector("#balance:not([data-balance='50000'])"); // his purchase of the land is counted
    const bobBalance = Number(await bob.getAttribute("#balance", "data-balance"));
    await alice.click("#buy-listing:text-is('Buy now for 2,500 BDT')");
    await alice.waitForSelector(`#land-owner:text-is("${aliceName} (you)")`);
    await bob.waitForSelector(`#land-owner:text-is("${aliceName}")`);
    // Bob receives the price less the 5 % platform fee.
    await bob.waitForSelector(`#balance[data-balance='${bobBalance + 2375}']`);
  }, 90_000);

  it("works on a phone-sized screen and from the keyboard alone", async () => {
    const phone = await newPlayerPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const map = await phone.locator("#map").boundingBox();
    expect(map!.width).toBeGreaterThan(300);
    expect(map!.height).toBeGreaterThan(250);

    // An error from the server reads as a sentence: Bob's name is taken.
    await phone.fill("#register-username", bobAccount.username);
    await phone.fill("#register-email", `other_${bobAccount.username}@example.com`);
    await phone.fill("#register-password", "correct horse battery");
    expectedRefusals.push(/status of 409 .*\/auth\/register\)$/);
    await phone.click("#register-submit");
    await phone.waitForSelector("#register-error:text-is('That username is taken.')");

    // Tab reaches the map; arrows pan it, Enter selects the land at its centre.
    await phone.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    for (let presses = 0; presses < 20; presses++) {
      if (await phone.evaluate(() => document.activeElement?.id === "map")) break;
      await phone.keyboard.press("Tab");
    }
    expect(await phone.evaluate(() => document.activeElement?.id)).toBe("map");
    const before = Number(await phone.getAttribute("#map", "data-center-u"));
    await phone.keyboard.press("ArrowRight");
    await eventually(async () => Number(await phone.getAttribute("#map", "data-center-u")) > before, UI_TIMEOUT_MS);
    await phone.keyboard.press("Enter");
    await phone.waitForSelector("#land-panel[data-land] #land-owner");
    await phone.waitForSelector("#map[data-ready='true']");
    await phone.screenshot({ path: path.join(ARTIFACTS, "web-client-phone.png") });
  }, 60_000);

  it("logged no error to any page's console", () => {
    expect(consoleErrors).toEqual([]);
  });
});
