/** `npm run worker`: BullMQ workers only, for scaling out. */
import { assertNodeVersion } from "./runtime/node-version.js";
assertNodeVersion();

import { runProcess } from "./runtime/process-lifecycle.js";
import { startWorkers } from "./composition-root.js";

await runProcess("worker", (config, logger) => startWorkers(config, logger));
