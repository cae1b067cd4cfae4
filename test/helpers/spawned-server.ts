import pg from "pg";
import type { TestEnvironment } from "./test-server.js";
import { freePort, spawnEntry, waitForHttpOk, type Spawned } from "./processes.js";
import { apiClient, registerUser, type ApiClient } from "./http-client.js";

/** A server started as its own process (as an operator runs it), with an admin and a direct database pool. */
export interface SpawnedServer {
  process: Spawned;
  baseUrl: string;
  wsUrl: string;
  api: ApiClient;
  /** Two connections straight to the server's database, for assertions. */
  db: pg.Pool;
  adminToken: string;
}

/**
 * Starts `src/main.ts` on a free port with the environment's settings plus
 * `extraEnv` (e.g. `RUN_WORKERS: "false"`), waits for `/health`, and makes an
 * admin the way `npm run admin:create` does. The caller stops the process,
 * ends `db` and drops the database.
 */
export async function startSpawnedServer(
  environment: TestEnvironment,
  extraEnv: Record<string, string> = {},
  healthTimeoutMs = 30_000,
): Promise<SpawnedServer> {
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;
  const port = await freePort();
  const spawned = spawnEntry("src/main.ts", { ...environment.env, PORT: String(port), ...extraEnv });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${baseUrl}/health`, healthTimeoutMs);
  const api = apiClient(baseUrl);
  const db = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });
  const admin = await registerUser(api, "admin");
  await db.query("UPDATE users SET role = 'admin' WHERE user_id = $1", [admin.userId]);
  return { process: spawned, baseUrl, wsUrl: `ws://127.0.0.1:${port}`, api, db, adminToken: admin.token };
}
