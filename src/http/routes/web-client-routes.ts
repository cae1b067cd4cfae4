import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { Router } from "express";

/** Where `npm run build` (Vite, web/vite.config.ts) writes the browser client. */
export const WEB_CLIENT_DIST_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "web", "dist");

/**
 * The page's own rules: scripts, workers, styles and connections (HTTP and the
 * rooms' WebSockets) only from this origin, nothing inline, and the page may
 * not be framed. 'unsafe-eval' because @colyseus/sdk decodes messages with
 * msgpackr, which compiles its record readers with `Function` (and probes for
 * it when loaded); inline and foreign scripts stay forbidden. The chat key lives in the URL fragment, which no request
 * carries; `no-referrer` keeps even the path out of other sites' logs.
 */
const CLIENT_PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self' 'unsafe-eval'; connect-src 'self'; img-src 'self' data: blob:; worker-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

/**
 * Serves the built browser client at `/` (docs/WEB-CLIENT.md). Mounted after
 * the API routers, so it never shadows one. Vite names assets by content hash,
 * so they may be cached for good; `index.html` is revalidated so a new build
 * reaches players at once. Without a build, `/` says how to make one.
 */
export function webClientRoutes(options: { distDir?: string } = {}): Router {
  const distDir = options.distDir ?? WEB_CLIENT_DIST_DIR;
  const router = Router();

  router.use(
    "/assets",
    express.static(path.join(distDir, "assets"), {
      immutable: true,
      maxAge: "365d",
      index: false,
      fallthrough: true,
      setHeaders: (response) => response.set("X-Content-Type-Options", "nosniff"),
    }),
  );

  router.get(["/", "/index.html"], (_request, response) => {
    const indexFile = path.join(distDir, "index.html");
    // Checked per request, so a build made while the server runs is served without a restart.
    if (!existsSync(indexFile)) {
      response
        .status(503)
        .type("text/plain")
        .send("The web client is not built yet: run `npm run build` in the project folder, then reload this page.\n");
      return;
    }
    response.set({ ...CLIENT_PAGE_HEADERS, "Cache-Control": "no-cache" }).sendFile(indexFile);
  });

  return router;
}
