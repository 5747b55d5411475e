import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, startTestApp, type TestApp } from "../../server/src/test/harness.js";
import { REPO_ROOT } from "./cli-env.js";
import { writeServicesFile } from "./services.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

function runAdmin(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const clean = { ...process.env };
    delete clean.MONGODB_URI;
    delete clean.REDIS_URL;
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts/src/admin.ts"), ...args], {
      cwd: REPO_ROOT,
      env: { ...clean, PHI_MASTER_KEY: app.config.masterKey.toString("base64"), SESSION_SECRET: app.config.sessionSecret, BCRYPT_COST: "4", ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("npm run admin -- create-user", () => {
  it("creates an account against the configured database and prints its id", async () => {
    const r = await runAdmin(["create-user", "--role", "physician", "--email", "cli.doc@example.test", "--password", "cli-password-1", "--name", "Dr Cli"], {
      MONGODB_URI: app.config.mongoUri,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), "glp1-cli-")),
    });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const id = /created physician ([0-9a-f]{24})/.exec(r.out)?.[1];
    expect(id).toBeTruthy();
    const login = await new Agent(app.url).post("/api/auth/login", { email: "cli.doc@example.test", password: "cli-password-1" });
    expect(login.body.user).toEqual({ id, role: "physician", name: "Dr Cli" });
    expect(await app.db.models.audit.countDocuments({ action: "admin:create_user", resourceId: id })).toBe(1);
  });

  it("finds a running demo's database through DATA_DIR/services.json", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "glp1-cli-"));
    writeServicesFile(dataDir, { mongoUri: app.config.mongoUri, redisUrl: app.config.redisUrl });
    const r = await runAdmin(["create-user", "--role", "support", "--email", "cli.support@example.test", "--password", "cli-password-2", "--name", "Sup"], { DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    expect((await new Agent(app.url).post("/api/auth/login", { email: "cli.support@example.test", password: "cli-password-2" })).status).toBe(200);
  });

  it("sets a care team by email and opens the conversation", async () => {
    const env = { MONGODB_URI: app.config.mongoUri };
    await runAdmin(["create-user", "--role", "patient", "--email", "cli.pat@example.test", "--password", "cli-password-3", "--name", "Pat"], env);
    const r = await runAdmin(["set-care-team", "--patient", "cli.pat@example.test", "--physicians", "cli.doc@example.test"], env);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const login = await new Agent(app.url).post("/api/auth/login", { email: "cli.pat@example.test", password: "cli-password-3" });
    const agent = new Agent(app.url);
    agent.cookie = login.setCookie[0]!.split(";")[0]!;
    expect((await agent.get("/api/conversations")).body.conversations).toHaveLength(1);
    const bad = await runAdmin(["set-care-team", "--patient", "cli.pat@example.test", "--physicians", "nobody@example.test"], env);
    expect(bad.code).toBe(1);
  });

  it("refuses bad input with usage and creates nothing", async () => {
    const r = await runAdmin(["create-user", "--role", "root", "--email", "bad@example.test", "--password", "short", "--name", "B"], { MONGODB_URI: app.config.mongoUri });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage/);
    expect(r.err).not.toContain("short");
    expect(await app.db.models.users.countDocuments({ emailIndex: app.services.auth.emailIndex("bad@example.test") })).toBe(0);
  });
});
