import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildConfig, ConfigError } from "./config.js";

const base = { MONGODB_URI: "mongodb://127.0.0.1:1/x", REDIS_URL: "redis://127.0.0.1:1" };
const tmp = () => mkdtempSync(path.join(tmpdir(), "glp1-config-"));

describe("config", () => {
  it("refuses to start production without real secrets, naming every missing one", () => {
    try {
      buildConfig({ ...base, NODE_ENV: "production", DATA_DIR: tmp() });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join("\n");
      expect(problems).toMatch(/SESSION_SECRET/);
      expect(problems).toMatch(/PHI_MASTER_KEY/);
      expect(problems).toMatch(/APP_ORIGIN/);
    }
  });

  it("lists every malformed value at once", () => {
    expect(() => buildConfig({ MONGODB_URI: "postgres://x", REDIS_URL: "nope", PORT: "abc" })).toThrow(
      /MONGODB_URI[\s\S]*REDIS_URL|REDIS_URL[\s\S]*MONGODB_URI/,
    );
    expect(() => buildConfig({ ...base, PHI_MASTER_KEY: "c2hvcnQ=" })).toThrow(/PHI_MASTER_KEY/);
  });

  it("in development generates secrets once and keeps them in DATA_DIR", () => {
    const dir = tmp();
    const a = buildConfig({ ...base, DATA_DIR: dir });
    const b = buildConfig({ ...base, DATA_DIR: dir });
    expect(a.masterKey.length).toBe(32);
    expect(b.masterKey.equals(a.masterKey)).toBe(true);
    expect(b.sessionSecret).toBe(a.sessionSecret);
    expect(buildConfig({ ...base, DATA_DIR: tmp() }).sessionSecret).not.toBe(a.sessionSecret);
  });

  it("uses secure cookies in production and defaults to a 30-minute idle timeout and bcrypt cost 12", () => {
    const prod = buildConfig({
      ...base,
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      PHI_MASTER_KEY: Buffer.alloc(32, 7).toString("base64"),
      APP_ORIGIN: "https://clinic.example",
    });
    expect(prod.secureCookies).toBe(true);
    expect(prod.idleTimeoutMs).toBe(30 * 60_000);
    expect(prod.bcryptCost).toBe(12);
    expect(prod.allowedOrigins).toEqual(["https://clinic.example"]);
    expect(Object.isFrozen(prod)).toBe(true);
  });
});
