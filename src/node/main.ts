import { ConfigError } from "../core/config.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

/** Process entry: config, logger, server, signals. */
async function main(): Promise<void> {
  // Whatever this process creates (the data dir, the database and the files SQLite adds
  // beside it, on any thread) is its owner's alone; data-dir.ts also sets the modes.
  process.umask(0o077);
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`opentime: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(loaded.config.LOG_LEVEL);
  if (loaded.secretsFile) {
    // Say where the keys are, never what they are.
    logger.info(
      { file: loaded.secretsFile, generated: loaded.generated },
      loaded.generated
        ? "generated OPENTIME_API_KEY and OPENTIME_SECRET; they are kept in this file (mode 0600)"
        : "using OPENTIME_API_KEY / OPENTIME_SECRET kept in this file",
    );
  }
  // Signals are handled from before the server starts: a SIGTERM that arrives while it is
  // still starting (just after "listening" is logged) waits for start-up, then shuts down
  // gracefully instead of killing the process with events in its buffers.
  let stopping = false;
  const started = startServer(loaded.config, logger);
  // A person at the terminal opens it once; it is not a log line (logs are shipped elsewhere).
  void started.then(
    (server) => {
      if (server.setupUrl) {
        process.stderr.write(
          `\nopentime: no one can sign in to the web app yet. Create the first admin (link valid 24 h, once):\n  ${server.setupUrl}\nor run: opentime user add <email> --role admin\n\n`,
        );
      }
    },
    () => {},
  );
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error({}, "shutdown took too long; exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    started
      .then((server) => server.close())
      .then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await started;
}

main().catch((err) => {
  process.stderr.write(`opentime: failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
