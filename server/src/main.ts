import { buildConfig, ConfigError } from "./config/config.js";
import { createLogger } from "./infra/logger.js";
import { startApp } from "./app.js";

/** Start the server from the environment; stop in order on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = buildConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // Fire-and-forget publishes inside the Socket.IO Redis adapter reject when Redis is
  // briefly unreachable; log those (no PHI: the serializer drops messages) instead of
  // letting one crash a node that ioredis will reconnect anyway.
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));
  const app = await startApp(config, { logger });
  logger.info({ url: app.url, nodeId: config.nodeId }, "server listening");
  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down");
    // A jammed database must not keep a node half-stopped forever. What is lost then is
    // only what was never acknowledged: acts are acked after their audit entry is stored.
    setTimeout(() => {
      logger.error({ auditBacklog: app.audit.backlog, timeoutMs: config.shutdownTimeoutMs }, "shutdown did not finish in time; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  createLogger("error").fatal({ err }, "server failed to start");
  process.exit(1);
});
