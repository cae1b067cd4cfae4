import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { Room } from "@colyseus/sdk";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { apiClient, registerUser, type ApiClient } from "../helpers/http-client.js";
import { fund, registerAdmin } from "../helpers/accounts.js";
import { leaveAll, resultCollector, sdkClient } from "../helpers/room-client.js";
import { QueueName } from "../../src/queue/job-queues.js";
import { requestJobId } from "../../src/services/purchase-requester.js";
import type { FirstSaleJob } from "../../src/services/first-sale-service.js";

/**
 * A purchase's answer normally reaches the room that asked through the
 * worker's announcement on the purchase-outcomes channel. Pub/sub keeps
 * nothing for a subscriber that was away, so the server must also find an
 * answer that was never announced. Here the purchases are worked by a worker
 * that commits them with the server's own executor but announces nothing.
 */
let server: TestServer;
let api: ApiClient;
let admin: { token: string; userId: string };
let connection: Redis;
let silentWorker: Worker;
const worked: string[] = [];
const rooms: Room[] = [];

beforeAll(async () => {
  server = await startTestServer({ RUN_WORKERS: "false" });
  api = apiClient(server.baseUrl);
  admin = await registerAdmin(server, api);
  connection = new Redis(server.environment.config.redisUrl, { maxRetriesPerRequest: null });
  silentWorker = new Worker(
    QueueName.PURCHASES,
    async (job: Job) => {
      worked.push(job.id!);
      return server.server.services.firstSales.execute(job.data as FirstSaleJob);
    },
    { connection, prefix: server.environment.queuePrefix },
  );
});
afterAll(async () => {
  await leaveAll(rooms);
  await silentWorker?.close();
  connection?.disconnect();
  await server?.stop();
});

describe("answers to purchases whose announcement never came", () => {
  // The room gives up at 10 s; these answers must come from the server looking the job up, long before.
  const WELL_BEFORE_GIVING_UP_MS = 5_000;

  it("a buy is answered from the committed job, and the land is the buyer's", async () => {
    const buyer = await registerUser(api);
    await fund(api, admin.token, buyer.userId, 100_000);
    const room = await sdkClient(server.wsUrl, buyer.token).joinOrCreate("chunk", { cx: 1, cy: 1 });
    rooms.push(room);

    const outcome = await resultCollector(room).send("buy", { req: "unannounced-1", x: 40, y: 41 }, WELL_BEFORE_GIVING_UP_MS);

    expect(outcome).toMatchObject({ ok: true, data: { x: 40, y: 41 } });
    expect(worked).toContain(requestJobId(buyer.userId, "unannounced-1"));
    const owner = await server.db.query("SELECT owner_id FROM lands WHERE x = 40 AND y = 41");
    expect(owner.rows).toEqual([{ owner_id: buyer.userId }]);
  });

  it("the same req sent again joins the finished job and gets the same answer, with one purchase only", async () => {
    const buyer = await registerUser(api);
    await fund(api, admin.token, buyer.userId, 100_000);
    const room = await sdkClient(server.wsUrl, buyer.token).joinOrCreate("chunk", { cx: 1, cy: 1 });
    rooms.push(room);
    const results = resultCollector(room);

    const first = await results.send("buy", { req: "unannounced-2", x: 50, y: 33 }, WELL_BEFORE_GIVING_UP_MS);
    const again = await results.send("buy", { req: "unannounced-2", x: 50, y: 33 }, WELL_BEFORE_GIVING_UP_MS);

    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
    expect(worked.filter((id) => id === requestJobId(buyer.userId, "unannounced-2"))).toHaveLength(1);
    const purchases = await server.db.query("SELECT count(*)::int AS n FROM transactions WHERE buyer_id = $1", [buyer.userId]);
    expect(purchases.rows[0].n).toBe(1);
  });
});

describe("a purchase job worked twice (its worker died after the commit, before BullMQ heard of it)", () => {
  it("buys once, debits once, and answers the second run with the first run's answer", async () => {
    const buyer = await registerUser(api);
    await fund(api, admin.token, buyer.userId, 100_000);
    const job: FirstSaleJob = { userId: buyer.userId, username: buyer.username, req: "worked-twice", x: 45, y: 60 };

    const first = await server.server.services.firstSales.execute(job);
    const second = await server.server.services.firstSales.execute(job);

    expect(first.ok).toBe(true);
    expect(second).toEqual(first);
    const purchases = await server.db.query("SELECT count(*)::int AS n FROM transactions WHERE buyer_id = $1", [buyer.userId]);
    expect(purchases.rows[0].n).toBe(1);
    const balance = await server.db.query("SELECT balance_bdt FROM users WHERE user_id = $1", [buyer.userId]);
    expect(Number(balance.rows[0].balance_bdt)).toBe(100_000 - (first as { data: { price_bdt: number } }).data.price_bdt);
  });

  it("a refusal worked twice stays the first refusal", async () => {
    const buyer = await registerUser(api); // no funds
    const job: FirstSaleJob = { userId: buyer.userId, username: buyer.username, req: "refused-twice", x: 46, y: 60 };

    const first = await server.server.services.firstSales.execute(job);
    await fund(api, admin.token, buyer.userId, 100_000); // funds arriving in between change nothing for this req
    const second = await server.server.services.firstSales.execute(job);

    expect(first).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_FUNDS" } });
    expect(second).toEqual(first);
    expect((await server.db.query("SELECT count(*)::int AS n FROM lands WHERE x = 46 AND y = 60")).rows[0].n).toBe(0);
  });
});

