import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Chat payloads and secrets must never reach a log line,
 * so the usual suspects are redacted even if a caller logs a whole object.
 */
export function createLogger(level: string, name = "vlw", destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "passcode",
        "*.passcode",
        "ciphertext",
        "*.ciphertext",
        "iv",
        "*.iv",
        "req.headers.authorization",
      ],
      censor: "[redacted]",
    },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // A destination other than stdout serves tests that read what would be logged.
  return destination ? pino(options, destination) : pino(options);
}
