/**
 * What simulated players do in each scenario: how fast they walk, how long
 * they think between actions, and how likely each kind of action is. A
 * player whose chosen action is impossible right now (fencing without a
 * land, bidding with no auction in sight) does the action that would make it
 * possible instead, as a person would (buy a land first, put one up for
 * auction), so every scenario keeps producing its kind of traffic.
 */

export const SCENARIO_NAMES = ["roam", "trade", "auction", "chat", "mixed"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Everything a player may decide to do between two think times. */
export const INTENTS = [
  "idle", // keep walking, do nothing else
  "buy",
  "fence",
  "set_message",
  "list",
  "cancel_listing",
  "buy_listing",
  "bid",
  "chat",
] as const;
export type Intent = (typeof INTENTS)[number];

export interface Scenario {
  name: ScenarioName;
  description: string;
  /** Relative weights of the next intent. */
  weights: Readonly<Record<Intent, number>>;
  /** Median walking speed, lands per second (log-normal around it). */
  walkSpeed: number;
  /** Chance per second of stopping for a while (log-normal pause around 4 s). */
  pauseChancePerSecond: number;
  /** Share of listings that are auctions (the rest split between fixed_price and buy_now). */
  auctionShare: number;
  /** Chat messages a player sends before leaving a land's chat (uniform in this range). */
  chatBurst: readonly [number, number];
}

const none: Record<Intent, number> = {
  idle: 0,
  buy: 0,
  fence: 0,
  set_message: 0,
  list: 0,
  cancel_listing: 0,
  buy_listing: 0,
  bid: 0,
  chat: 0,
};

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  roam: {
    name: "roam",
    description: "walk across chunk borders (room joins and leaves, terrain over HTTP with ETags), buy and sign now and then",
    weights: { ...none, idle: 80, buy: 12, set_message: 8 },
    walkSpeed: 5,
    pauseChancePerSecond: 0.03,
    auctionShare: 0.5,
    chatBurst: [3, 8],
  },
  trade: {
    name: "trade",
    description: "buy lands, fence and sign them, list them at a fixed price, buy others' listings, cancel some",
    weights: { ...none, idle: 5, buy: 30, fence: 12, set_message: 12, list: 20, cancel_listing: 5, buy_listing: 16 },
    walkSpeed: 1.5,
    pauseChancePerSecond: 0.1,
    auctionShare: 0,
    chatBurst: [3, 8],
  },
  auction: {
    name: "auction",
    description: "put lands up for short auctions (soft close) and bid on what others put up",
    weights: { ...none, idle: 5, buy: 15, list: 20, bid: 60 },
    walkSpeed: 1,
    pauseChancePerSecond: 0.15,
    auctionShare: 1,
    chatBurst: [3, 8],
  },
  chat: {
    name: "chat",
    description: "buy a land, then talk in land chats (AES-256-GCM), own lands and open neighbours' alike",
    weights: { ...none, idle: 5, buy: 5, fence: 2, chat: 88 },
    walkSpeed: 0.5,
    pauseChancePerSecond: 0.2,
    auctionShare: 0.5,
    chatBurst: [5, 15],
  },
  mixed: {
    name: "mixed",
    description: "all of the above at once: roaming, trading, auctions and chat",
    weights: { idle: 20, buy: 16, fence: 7, set_message: 7, list: 10, cancel_listing: 3, buy_listing: 7, bid: 15, chat: 15 },
    walkSpeed: 2.5,
    pauseChancePerSecond: 0.08,
    auctionShare: 0.6,
    chatBurst: [3, 10],
  },
};

/** Log-normal shape of think times: the median is `--think-ms`, one in twenty waits about 3.7× as long. */
export const THINK_SIGMA = 0.8;
