import type { TestServer } from "./test-server.js";
import { registerUser, type ApiClient } from "./http-client.js";
import { createOrPromoteAdmin } from "../../src/services/admin-accounts.js";

/** Registers a user and promotes it with the same code path as `npm run admin:create`. */
export async function registerAdmin(server: TestServer, api: ApiClient) {
  const user = await registerUser(api, "admin");
  await createOrPromoteAdmin(server.server.services.pool, server.server.services.hasher, {
    username: user.username,
    email: `${user.username}@example.com`,
    password: "correct horse battery",
  });
  return user;
}

/** Gives a user money through the audited admin credit route. */
export async function fund(api: ApiClient, adminToken: string, userId: string, amountBdt: number) {
  const response = await api.post(`/admin/users/${userId}/credit`, { amount_bdt: amountBdt, reason: "test funds" }, adminToken);
  if (response.status !== 200) throw new Error(`credit failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.user;
}
