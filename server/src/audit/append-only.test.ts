import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROTATION_SKIPPED_COLLECTIONS } from "../infra/crypto/rotation.js";
import { loginAgent, makeCareTeam, startTestApp, type TestApp } from "../test/harness.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Mongo calls that change or remove stored documents (inserting is the one write allowed). */
const WRITES =
  "updateOne|updateMany|replaceOne|deleteOne|deleteMany|remove|findOneAndUpdate|findOneAndReplace|findOneAndDelete|findOneAndRemove|findByIdAndUpdate|findByIdAndDelete|findByIdAndRemove|bulkWrite|drop|dropCollection|rename";
/** A write reached through an expression that names the audit model or collection. */
const ON_AUDIT = new RegExp(
  String.raw`(?:models\s*\.\s*audit|models\s*\.\s*AuditEntry|\.collection\(\s*["'\`]audit["'\`]\s*\)|\.model\(\s*["'\`]AuditEntry["'\`]\s*\))(?:\s*\.\s*collection)?\s*\.\s*(?:${WRITES})\s*\(`,
);
/** In a module that holds the audit model itself, no such call at all, on anything. */
const ANY_WRITE = new RegExp(String.raw`\.\s*(?:${WRITES})\s*\(`);
const DROP_DB = /\.\s*dropDatabase\s*\(/;

const stripComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === "test" || name === "node_modules" ? [] : sourceFiles(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

/** Why this source may change or delete audit entries, or null when it cannot. */
function auditWriteProblems(src: string): string[] {
  const code = stripComments(src);
  const problems: string[] = [];
  if (ON_AUDIT.test(code)) problems.push("a write on the audit model or collection");
  if (DROP_DB.test(code)) problems.push("dropDatabase (would drop the audit collection)");
  const holdsModel = /from\s+["'][./]*(?:audit\/)?audit\.model\.js["']/.test(code) || /\bAuditModel\b/.test(code);
  if (holdsModel && ANY_WRITE.test(code)) problems.push(`a module holding the audit model calls ${code.match(ANY_WRITE)![0]}`);
  return problems;
}

describe("the audit log is append-only", () => {
  it("has no code path in server/src or scripts/src that updates, replaces or deletes audit entries", () => {
    const files = [...sourceFiles(path.join(ROOT, "server/src")), ...sourceFiles(path.join(ROOT, "scripts/src"))];
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.endsWith("audit.writer.ts"))).toBe(true);
    const offenders = files.flatMap((f) => auditWriteProblems(readFileSync(f, "utf8")).map((p) => `${path.relative(ROOT, f)}: ${p}`));
    expect(offenders).toEqual([]);
  });

  it("the scan itself catches the ways an entry could be changed", () => {
    const bad = [
      `await app.db.models.audit.updateOne({ _id }, { $set: { action: "x" } });`,
      `await models.audit.collection.deleteMany({});`,
      `db.collection("audit").findOneAndUpdate({}, {});`,
      `conn.db.collection('audit').drop();`,
      `await conn.dropDatabase();`,
      `import type { AuditModel } from "./audit.model.js";\nexport const f = (m: AuditModel) => m.bulkWrite([]);`,
    ];
    for (const src of bad) expect(auditWriteProblems(src), src).not.toEqual([]);
    expect(auditWriteProblems(`import type { AuditModel } from "./audit.model.js";\nawait model.collection.insertMany(docs); createHash("sha256").update(x);`)).toEqual([]);
    // The key rotation walks collections generically: the audit log is never among them.
    expect(ROTATION_SKIPPED_COLLECTIONS).toContain("audit");
  });
});

describe("audit retention and fail-closed", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it("has no TTL index on the audit collection (kept 6+ years)", async () => {
    await app.audit.record({ action: "test:ttl", resource: "test", outcome: "success" });
    const indexes = await app.db.conn.db!.collection("audit").indexes();
    expect(indexes.length).toBeGreaterThan(1);
    for (const ix of indexes) expect(ix.expireAfterSeconds, JSON.stringify(ix)).toBeUndefined();
    for (const [, opts] of app.db.models.audit.schema.indexes()) {
      expect(opts).not.toHaveProperty("expireAfterSeconds");
      expect(opts).not.toHaveProperty("expires");
    }
    // Nor on the compliance records kept alongside it.
    for (const name of ["anomalies", "trainingrecords"]) {
      for (const ix of await app.db.conn.db!.collection(name).indexes()) expect(ix.expireAfterSeconds).toBeUndefined();
    }
  });

  it("fails closed over REST: with the audit log down, a PHI read answers 503 AUDIT_UNAVAILABLE and no data", async () => {
    const other = await startTestApp();
    try {
      const team = await makeCareTeam(other);
      const patient = await loginAgent(other, team.patient);
      expect((await patient.get(`/api/conversations/${team.conversationId}/messages`)).status).toBe(200);
      await other.audit.close();
      const res = await patient.get(`/api/conversations/${team.conversationId}/messages`);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: "AUDIT_UNAVAILABLE", message: expect.any(String) } });
      const metrics = await patient.get(`/api/patients/${team.patient.id}/metrics`);
      expect(metrics.status).toBe(503);
    } finally {
      await other.close();
    }
  });
});
