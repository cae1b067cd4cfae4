import { Router } from "express";
import { loginBody, registerBody } from "../../protocol/http-schemas.js";
import type { AccountsService } from "../../services/accounts-service.js";
import { currentUser, requireUser } from "../auth-middleware.js";
import { clientIp } from "../client-ip.js";
import { parseInput } from "../validation.js";

export function authRoutes(deps: { accounts: AccountsService; trustProxy: boolean }): Router {
  const { accounts, trustProxy } = deps;
  const router = Router();

  router.post("/auth/register", async (request, response) => {
    const body = parseInput(registerBody, request.body);
    response.status(201).json(await accounts.register(body, clientIp(request, trustProxy)));
  });

  router.post("/auth/login", async (request, response) => {
    const body = parseInput(loginBody, request.body);
    response.json(await accounts.login(body, clientIp(request, trustProxy)));
  });

  router.get("/me", requireUser(accounts), async (request, response) => {
    response.json({ user: await accounts.me(currentUser(request).userId) });
  });

  return router;
}
