import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildConfig, type Config } from "../../server/src/config/config.js";
import { readServicesFile } from "./services.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Config for a command-line tool: MONGODB_URI / REDIS_URL when set, else the services a
 * running `npm run demo` named in DATA_DIR/services.json.
 */
export function cliConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const dataDir = path.resolve(REPO_ROOT, env.DATA_DIR ?? ".data");
  let mongoUri = env.MONGODB_URI;
  let redisUrl = env.REDIS_URL;
  if (!mongoUri || !redisUrl) {
    const running = readServicesFile(dataDir);
    if (!running && !mongoUri) {
      throw new Error(
        `No database to talk to: set MONGODB_URI, or start the demo (npm run demo) so that ${path.join(dataDir, "services.json")} names its services.`,
      );
    }
    mongoUri ??= running?.mongoUri;
    redisUrl ??= running?.redisUrl ?? "redis://127.0.0.1:6379";
  }
  return buildConfig({ ...env, DATA_DIR: dataDir, MONGODB_URI: mongoUri, REDIS_URL: redisUrl });
}

/** `--name value` and `--flag` pairs after the command word. */
export function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) continue;
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      out[key] = next;
      i++;
    } else out[key] = "true";
  }
  return out;
}
