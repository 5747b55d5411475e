import type { Redis } from "ioredis";
import type { Logger } from "./logger.js";

/**
 * A Redis connection that drops (Redis restarting, or stopped before us at shutdown) is
 * retried by ioredis; say so once per outage in the log, without its stack, instead of
 * ioredis's "Unhandled error event" trace on every attempt.
 */
export function watchRedis(client: Redis, logger: Logger, name: string): void {
  let down = false;
  client.on("error", (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redis: name, reason: err.message }, "redis connection error; retrying");
  });
  client.on("ready", () => {
    if (down) logger.info({ redis: name }, "redis connection back");
    down = false;
  });
}
