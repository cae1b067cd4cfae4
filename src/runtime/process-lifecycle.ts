import { loadConfig, ConfigError, type Config } from "../config.js";
import { createLogger, type Logger } from "../logger.js";
import { StartupError } from "../composition-root.js";

/**
 * Runs a long-lived process: loads the config, starts it, and on SIGTERM or
 * SIGINT stops it gracefully within the configured time, exiting 0. Start-up
 * failures print one sentence and exit 1.
 */
export async function runProcess(
  name: string,
  start: (config: Config, logger: Logger) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  // Node.js < 22 lacks a global WebSocket, which Colyseus' reconnection path uses.
  globalThis.WebSocket ??= (await import("ws")).WebSocket as unknown as typeof WebSocket;

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, `vlw-${name}`);

  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason }, "unhandled promise rejection");
  });

  let running: { stop(): Promise<void> };
  try {
    running = await start(config, logger);
  } catch (error) {
    const sentence =
      error instanceof StartupError || error instanceof ConfigError
        ? error.message
        : `Could not start the ${name}: ${(error as Error).message}`;
    process.stderr.write(`${sentence}\n`);
    logger.flush?.();
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const hardStop = setTimeout(() => {
      logger.error("graceful shutdown took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    hardStop.unref();
    try {
      await running.stop();
      logger.info("stopped");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
