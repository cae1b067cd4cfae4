import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const webDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * The browser client (docs/WEB-CLIENT.md): `npm run build` writes static
 * files to web/dist, which the server serves at `/`. The client imports the
 * shared protocol module from ../src by relative path.
 */
export default defineConfig({
  root: webDir,
  base: "/",
  publicDir: false,
  build: {
    outDir: path.join(webDir, "dist"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    reportCompressedSize: false,
  },
  worker: { format: "es" },
  // The client imports ../src/protocol; let Vite's own server read it too.
  server: { fs: { allow: [path.join(webDir, "..")] } },
});
