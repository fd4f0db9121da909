import pino from "pino";
import type { Logger } from "../core/ports/index.js";

/**
 * Structured JSON logs. Anything that could carry a secret is redacted at the logger,
 * so a careless log call cannot leak a key.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger & pino.Logger {
  return pino(
    {
      level,
      base: { service: "opentime" },
      redact: {
        paths: [
          "authorization",
          "*.authorization",
          "headers.authorization",
          "*.headers.authorization",
          "apiKey",
          "secret",
          "*.apiKey",
          "*.secret",
          "config.OPENTIME_API_KEY",
          "config.OPENTIME_SECRET",
          "config.OPENTIME_WRITE_KEY",
        ],
        censor: "[redacted]",
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
