import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { openDatabase, startApp } from "../../server/src/app.js";
import { buildConfig, ConfigError } from "../../server/src/config/config.js";
import { createLogger } from "../../server/src/infra/logger.js";
import { REPO_ROOT } from "./cli-env.js";
import { warmPatientStats } from "./cohort.js";
import { DEFAULT_DEMO_PASSWORD, seedDemoClinic } from "./demo-clinic.js";
import { startServices, writeServicesFile } from "./services.js";

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm run demo`: embedded services (unless MONGODB_URI / REDIS_URL are set), the built
 * client, a seeded demo clinic, and the server on PORT (default 3000).
 */
async function main(): Promise<void> {
  const dataDir = path.resolve(REPO_ROOT, process.env.DATA_DIR ?? ".data");
  const port = process.env.PORT ?? "3000";
  const password = process.env.DEMO_PASSWORD ?? DEFAULT_DEMO_PASSWORD;
  const patients = Number(process.env.DEMO_PATIENTS ?? 40);

  say("Building the client…");
  const built = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules", "vite", "bin", "vite.js"), "build", "client", "--logLevel", "warn"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  if (built.status !== 0) throw new Error("the client build failed (see above)");

  say("Starting the database and Redis…");
  const services = await startServices({ dataDir, mongoUri: process.env.MONGODB_URI, redisUrl: process.env.REDIS_URL, persistRedis: true, log: (l) => say(`  ${l}`) });
  writeServicesFile(dataDir, services);

  let config;
  try {
    config = buildConfig({
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? "development",
      PORT: port,
      DATA_DIR: dataDir,
      MONGODB_URI: services.mongoUri,
      REDIS_URL: services.redisUrl,
      CLIENT_DIST: path.join(REPO_ROOT, "client", "dist"),
    });
  } catch (err) {
    await services.stop();
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  say("Seeding the demo clinic…");
  const db = await openDatabase(config);
  let tenth = -1;
  const progress = (done: number, total: number) => {
    if (Math.floor((done / total) * 10) === tenth) return;
    tenth = Math.floor((done / total) * 10);
    say(`  patients: ${done}/${total}`);
  };
  const seeded = await seedDemoClinic(db, config, { patients, password, log: (l) => say(l), progress });
  await warmPatientStats(db, (l) => say(l));
  await db.conn.close();
  say(seeded.created ? `  seeded ${seeded.patients} patients` : `  already seeded (${seeded.patients} patients)`);

  const app = await startApp(config, { logger: createLogger(config.logLevel === "info" ? "warn" : config.logLevel) });
  const shown = `http://localhost:${app.port}`;
  say("");
  say(`GLP-1 Care is running at ${shown}`);
  say("");
  say(`Demo logins (password: ${process.env.DEMO_PASSWORD ? "the DEMO_PASSWORD you set" : password}):`);
  say("  patient    patient1@demo.test   (… patient" + patients + "@demo.test)");
  say("  physician  physician1@demo.test (cares for patient1), physician2@demo.test");
  say("  support    support1@demo.test");
  say("  admin      admin@demo.test");
  say("");
  say("Press Ctrl-C to stop.");

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say("Stopping…");
    await app.close().catch(() => undefined);
    await services.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("SIGHUP", () => void stop());
  // `npm run demo` sits behind npm, a shell and tsx; a SIGTERM to npm alone does not reach
  // us. Stop when any of those launchers is gone rather than run on, orphaned.
  const launchers = ancestors();
  setInterval(() => {
    if (launchers.some((pid) => !alive(pid))) void stop();
  }, 1000).unref();
}

/** Up to three launcher processes above this one (Linux /proc; elsewhere none). */
function ancestors(): number[] {
  const out: number[] = [];
  let pid = process.ppid;
  for (let i = 0; i < 3 && pid > 1; i++) {
    out.push(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
