import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startServices } from "../scripts/src/services.js";

declare module "vitest" {
  export interface ProvidedContext {
    mongoUri: string;
    redisUrl: string;
  }
}

/**
 * Start the real database and Redis once for the whole run (or use MONGODB_URI /
 * REDIS_URL when set). Each test file then works in its own database and key namespace.
 */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "glp1-test-"));
  const services = await startServices({
    dataDir,
    mongoUri: process.env.MONGODB_URI,
    redisUrl: process.env.REDIS_URL,
    log: (line) => process.stdout.write(`[services] ${line}\n`),
  });
  process.stdout.write(`[services] database: ${services.mongoKind}, redis: ${services.redisKind}\n`);
  project.provide("mongoUri", services.mongoUri);
  project.provide("redisUrl", services.redisUrl);
  return async () => {
    await services.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
