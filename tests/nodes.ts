import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { freePort } from "../scripts/src/services.js";
import { withDatabase } from "../server/src/test/harness.js";

const ROOT = path.resolve(import.meta.dirname, "..");

export interface NodeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: string[];
  /** Resolves with the exit code/signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Settings shared by every node of one test cluster: same database, Redis, secrets and namespace. */
export function clusterEnv(extra: Record<string, string> = {}): Record<string, string> {
  const ns = `mn_${randomBytes(5).toString("hex")}`;
  return {
    NODE_ENV: "test",
    MONGODB_URI: withDatabase(inject("mongoUri"), ns),
    REDIS_URL: inject("redisUrl"),
    APP_NAMESPACE: ns,
    SESSION_SECRET: randomBytes(32).toString("hex"),
    PHI_MASTER_KEY: randomBytes(32).toString("base64"),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), "glp1-node-")),
    BCRYPT_COST: "4",
    SESSION_SWEEP_MS: "200",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    MFA_REQUIRED_ROLES: "",
    // Open around the clock: results must not depend on the hour the suite runs at.
    CLINIC_HOURS: "00:00-24:00",
    CLINIC_DAYS: "0,1,2,3,4,5,6",
    ...extra,
  };
}

/** Start `server/src/main.ts` as its own OS process and wait until it is ready. */
export async function startNode(env: Record<string, string>, name: string): Promise<NodeProcess> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), NODE_ID: name, ALLOWED_ORIGINS: `http://127.0.0.1:${port}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${name} exited early:\n${output.join("")}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`node ${name} not ready:\n${output.join("")}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  return { url, port, child, output, exited };
}
