import { Router, type Request } from "express";
import { z } from "zod";
import { pageQuery } from "../../protocol/http-schemas.js";
import type { AccountsService } from "../../services/accounts-service.js";
import type { TerrainService } from "../../services/terrain-service.js";
import { currentUser, requireUser } from "../auth-middleware.js";
import { PRIVATE_NO_STORE } from "../cache-control.js";
import { parseInput } from "../validation.js";

/** An integer path segment; range checks (404) are the service's, which knows the world's size. */
const integerSegment = (name: string) =>
  z
    .string()
    .regex(/^-?\d+$/, `${name} must be an integer`)
    .transform(Number);
const chunkParams = z.strictObject({ cx: integerSegment("cx"), cy: integerSegment("cy") });
const landParams = z.strictObject({ x: integerSegment("x"), y: integerSegment("y") });

/**
 * Chunks may be reused for a minute without asking; after that a conditional
 * request costs a 304. The ETag names the config version, so a config change
 * reaches a client within this minute at most.
 */
export const CHUNK_CACHE_CONTROL = "public, max-age=60";
/** The world summary and single lands change with config and trades: always revalidate (express adds a weak ETag). */
const REVALIDATE = "no-cache";

export function worldRoutes(deps: { terrain: TerrainService; accounts: AccountsService }): Router {
  const { terrain, accounts } = deps;
  const router = Router();

  router.get("/world", async (_request, response) => {
    response.set("Cache-Control", REVALIDATE).json(await terrain.worldSummary());
  });

  router.get("/world/chunks/:cx/:cy", async (request, response) => {
    const { cx, cy } = parseInput(chunkParams, request.params);
    // The ETag is known from the config version alone, so a revalidation costs no cache read.
    const etag = await terrain.chunkEtag(cx, cy);
    response.set({ ETag: etag, "Cache-Control": CHUNK_CACHE_CONTROL });
    if (ifNoneMatchIncludes(request, etag)) {
      response.status(304).end();
      return;
    }
    const chunk = await terrain.packedChunk(cx, cy);
    response.set({ ETag: chunk.etag, "Content-Type": "application/json; charset=utf-8" }).send(chunk.bytes);
  });

  router.get("/lands/:x/:y", async (request, response) => {
    const { x, y } = parseInput(landParams, request.params);
    response.set("Cache-Control", REVALIDATE).json(await terrain.landAt(x, y));
  });

  // The caller's lands, each as GET /lands/:x/:y shows it (an extension of the contract; docs/WORLD.md).
  router.get("/me/lands", requireUser(accounts), async (request, response) => {
    const page = parseInput(pageQuery, request.query);
    response.set("Cache-Control", PRIVATE_NO_STORE).json(await terrain.landsOwnedBy(currentUser(request).userId, page));
  });

  return router;
}

/** RFC 9110 §13.1.2: `*` or a list of tags compared weakly (a `W/` prefix is ignored). */
function ifNoneMatchIncludes(request: Request, etag: string): boolean {
  const header = request.headers["if-none-match"];
  if (header === undefined) return false;
  for (const candidate of header.split(",")) {
    const tag = candidate.trim();
    if (tag === "*" || tag === etag || (tag.startsWith("W/") && tag.slice(2) === etag)) return true;
  }
  return false;
}
