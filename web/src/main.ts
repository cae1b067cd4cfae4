/**
 * The browser client: builds the pieces and wires them together. It speaks
 * only the contract (PROTOCOL.md) through the shared protocol module
 * (src/protocol/) and @colyseus/sdk. See docs/WEB-CLIENT.md.
 */
import "./styles.css";
import { api } from "./api.js";
import { AccountPanel } from "./account-panel.js";
import { ChatPanel } from "./chat-panel.js";
import { fragmentFor, parseFragment } from "./chat-keys.js";
import { ChunkRooms, type ServerEvent } from "./chunk-rooms.js";
import { byId, h, toast } from "./dom.js";
import { sentenceFor } from "./error-text.js";
import { taka } from "./format.js";
import { LandPanel } from "./land-panel.js";
import { MapView, OVERLAY_STYLE } from "./map-view.js";
import { Minimap, worldConfigOf, type WorldSummary } from "./minimap.js";
import { Session } from "./session.js";
import { TerrainStore } from "./terrain-store.js";
import { chunkKey, chunkOfLand, type WorldSize } from "./world-geometry.js";

async function start(): Promise<void> {
  const status = byId("map-status");
  status.textContent = "Loading the world…";
  const summary = await api<WorldSummary>("/world");
  const world: WorldSize = { width: summary.world_width, height: summary.world_height, chunkSize: summary.chunk_size };

  const session = new Session();
  await session.restore().catch((error: unknown) => toast(sentenceFor(error), "error"));

  const terrain = new TerrainStore();
  const rooms = new ChunkRooms(world, () => session.token);
  const chat = new ChatPanel(byId("chat-panel"), () => session.token);
  let selectedChunk: string | undefined;
  // Declared before the map: its constructor already reports a view change.
  let minimap: Minimap | undefined;
  let mapView: MapView | undefined;
  let syncScheduled = false;
  function scheduleSync(): void {
    minimap?.draw();
    if (syncScheduled) return;
    syncScheduled = true;
    requestAnimationFrame(() => {
      syncScheduled = false;
      if (mapView) rooms.sync(mapView.visibleChunks(), new Set(selectedChunk ? [selectedChunk] : []));
      showStatus();
    });
  }


  const map = new MapView(byId<HTMLCanvasElement>("map"), {
    world,
    terrain,
    overlay: () => rooms.lands.values(),
    myUserId: () => session.me?.user_id,
    onSelect: (x, y) => void select(x, y),
    onViewChange: () => scheduleSync(),
  });
  mapView = map;
  const account = new AccountPanel(byId("account-bar"), byId("account-panel"), session, (x, y) => void select(x, y, true));
  const landPanel = new LandPanel(byId("land-panel"), {
    rooms,
    session,
    onOpenChat: (target) => void chat.open(target, undefined),
    onChanged: () => void account.refresh(),
  });
  minimap = new Minimap(byId<HTMLCanvasElement>("minimap"), world, worldConfigOf(summary), map);

  function showStatus(): void {
    const loading = terrain.pendingCount > 0 ? ` · loading ${terrain.pendingCount} chunk${terrain.pendingCount === 1 ? "" : "s"}…` : "";
    status.textContent = rooms.isTooFarOut
      ? `Zoom in to see owners and listings live${loading}`
      : `${rooms.joinedCount} chunk${rooms.joinedCount === 1 ? "" : "s"} live${loading}`;
  }

  async function select(x: number, y: number, centre = false): Promise<void> {
    if (centre) map.goToLand(x, y);
    map.select(x, y);
    const { cx, cy } = chunkOfLand(x, y, world);
    selectedChunk = chunkKey(cx, cy); // the selected land's room stays joined while it is selected
    scheduleSync();
    if (!chat.openLandId || parseFragment(location.hash)?.x !== x || parseFragment(location.hash)?.y !== y) {
      history.replaceState(null, "", fragmentFor(x, y));
    }
    await landPanel.select(x, y);
  }

  /** `#land=x,y&key=…`: go to the land, and open its chat with the key from the link. */
  async function followFragment(): Promise<void> {
    const link = parseFragment(location.hash);
    if (!link || link.x >= world.width || link.y >= world.height) return;
    await select(link.x, link.y, true);
    if (!link.key) return;
    const target = landPanel.chatTarget();
    if (!target) toast("This link's land has no owner, so it has no chat.", "error");
    else if (!session.me) toast("Log in to open this land's chat; the link's key is kept for you.", "info", 9000);
    else await chat.open(target, link.key);
    if (target) history.replaceState(null, "", fragmentFor(link.x, link.y, link.key));
  }

  terrain.onLoaded = () => {
    map.requestRender();
    showStatus();
  };
  let lastTerrainError = 0;
  terrain.onError = (error) => {
    if (Date.now() - lastTerrainError > 10_000) toast(`Some of the map could not be loaded. ${sentenceFor(error)}`, "error");
    lastTerrainError = Date.now();
  };
  rooms.onJoinedCountChanged = () => showStatus();
  rooms.onLandsChanged = (keys) => {
    map.requestRender();
    landPanel.landsChanged(keys);
  };
  rooms.onEvent = (event: ServerEvent) => onServerEvent(event);

  function onServerEvent(event: ServerEvent): void {
    const land = event.listing_id ? rooms.findListing(event.listing_id) : undefined;
    const where = land ? `land (${land.x}, ${land.y})` : "a land";
    switch (event.type) {
      case "outbid":
        toast(`You were outbid on ${where}: the price is now ${taka(event.price_bdt)}. Bid again before it ends.`, "error", 12_000);
        void account.refresh();
        break;
      case "auction_extended":
        if (land && landPanel.selected?.x === land.x && landPanel.selected?.y === land.y) toast("A late bid extended this auction.", "info");
        break;
      case "won":
        toast(`You won the auction for ${where}.`, "success", 12_000);
        void account.refresh();
        break;
      case "sold":
      case "auction_closed":
        void account.refresh();
        void landPanel.reload();
        break;
      default:
        break;
    }
  }

  // Logging in or out changes who acts: rooms again with the new token, the chat closed.
  // A mere balance refresh changes neither.
  let tokenInUse = session.token;
  session.onChange(() => {
    map.requestRender();
    if (session.token === tokenInUse) return;
    tokenInUse = session.token;
    rooms.reconnectAll();
    void chat.close();
    void landPanel.reload();
  });

  // Controls around the map.
  byId("zoom-in").addEventListener("click", () => map.zoomBy(1.4));
  byId("zoom-out").addEventListener("click", () => map.zoomBy(1 / 1.4));
  const goX = byId<HTMLInputElement>("goto-x");
  const goY = byId<HTMLInputElement>("goto-y");
  goX.max = String(world.width - 1);
  goY.max = String(world.height - 1);
  byId<HTMLFormElement>("goto-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const x = Number(goX.value);
    const y = Number(goY.value);
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= world.width || y >= world.height) {
      toast(`Coordinates go from (0, 0) to (${world.width - 1}, ${world.height - 1}).`, "error");
      return;
    }
    void select(x, y, true);
  });
  byId("legend").replaceChildren(
    ...Object.entries({ mine: "yours", owned: "owned", listed: "for sale", auction: "auction" }).map(([kind, label]) => {
      const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.background = OVERLAY_STYLE[kind as keyof typeof OVERLAY_STYLE];
      return h("li", {}, swatch, ` ${label}`);
    }),
    h("li", {}, h("span", { class: "swatch fence", "aria-hidden": "true" }), " fenced"),
  );
  byId("fee").textContent = `Sales pay a ${summary.transaction_fee_percent} % fee.`;

  window.addEventListener("hashchange", () => void followFragment());
  scheduleSync();
  await followFragment();
  document.body.dataset.ready = "true";
}

start().catch((error: unknown) => {
  byId("map-status").textContent = `The world could not be loaded. ${sentenceFor(error)} Reload the page to try again.`;
});
