/**
 * `npm start`: applies migrations, then serves HTTP and WebSocket (with the
 * BullMQ workers in-process unless RUN_WORKERS=false).
 */
import { assertNodeVersion } from "./runtime/node-version.js";
assertNodeVersion();

import { runProcess } from "./runtime/process-lifecycle.js";
import { startServer } from "./composition-root.js";

await runProcess("server", (config, logger) => startServer(config, logger));
