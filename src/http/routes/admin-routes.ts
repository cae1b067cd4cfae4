import { Router } from "express";
import { z } from "zod";
import { adminConfigPatch, auditQuery, creditBody } from "../../protocol/http-schemas.js";
import type { AccountsService } from "../../services/accounts-service.js";
import type { AdminService } from "../../services/admin-service.js";
import { currentUser, requireAdmin } from "../auth-middleware.js";
import { parseInput } from "../validation.js";

const userIdParam = z.strictObject({ user_id: z.uuid("user_id must be a UUID") });

export function adminRoutes(deps: { accounts: AccountsService; admin: AdminService }): Router {
  const { accounts, admin } = deps;
  const router = Router();
  router.use("/admin", requireAdmin(accounts));

  router.get("/admin/config", async (_request, response) => {
    response.json(await admin.getConfig());
  });

  router.put("/admin/config", async (request, response) => {
    const patch = parseInput(adminConfigPatch, request.body);
    response.json(await admin.updateConfig(currentUser(request), patch));
  });

  router.post("/admin/users/:user_id/credit", async (request, response) => {
    const { user_id } = parseInput(userIdParam, request.params);
    const body = parseInput(creditBody, request.body);
    response.json({ user: await admin.credit(currentUser(request), user_id, body.amount_bdt, body.reason) });
  });

  router.get("/admin/audit", async (request, response) => {
    const query = parseInput(auditQuery, request.query);
    response.json(await admin.listAudit(query));
  });

  return router;
}
