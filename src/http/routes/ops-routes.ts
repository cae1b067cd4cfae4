import { Router } from "express";
import type { HealthService } from "../../services/health-service.js";
import type { Metrics } from "../../services/metrics.js";

export function opsRoutes(deps: { health: HealthService; metrics: Metrics }): Router {
  const router = Router();

  router.get("/health", async (_request, response) => {
    const report = await deps.health.check();
    response.status(report.status === "ok" ? 200 : 503).json(report);
  });

  router.get("/metrics", async (_request, response) => {
    response.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  return router;
}
