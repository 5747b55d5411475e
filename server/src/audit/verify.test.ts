import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../infra/logger.js";
import { startTestApp, type TestApp } from "../test/harness.js";
import { AuditWriter, entryHash } from "./audit.writer.js";
import { formatReport, verifyAuditChains } from "./verify.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const raw = () => app.db.conn.db!.collection("audit");

/** A chain of its own with `n` entries (each test tampers with its own). */
async function writeChain(n: number): Promise<string> {
  const writer = new AuditWriter(app.db.models.audit, { flushMs: 1, maxBatch: 4, nodeId: `t-${randomBytes(3).toString("hex")}`, logger: createLogger("silent") });
  for (let i = 0; i < n; i++) {
    await writer.record({ action: "metrics:read", resource: "reading", resourceId: `r${i}`, outcome: "success", ip: "127.0.0.1", userAgent: "test" });
  }
  await writer.close();
  return writer.chainId;
}

const check = async (chainId: string) => (await verifyAuditChains(raw(), { chainIds: [chainId] })).problems;

describe("verifyAuditChains", () => {
  it("passes intact chains, all of them by default, counting entries", async () => {
    const a = await writeChain(6);
    const b = await writeChain(3);
    expect(await check(a)).toEqual([]);
    const all = await verifyAuditChains(raw());
    expect(all.problems.filter((p) => p.chainId === a || p.chainId === b)).toEqual([]);
    expect(all.chains).toBeGreaterThanOrEqual(2);
    expect(all.entries).toBeGreaterThanOrEqual(9);
    expect(formatReport({ chains: 2, entries: 9, problems: [] })).toBe("2 chains, 9 entries verified");
  });

  it("detects an altered field", async () => {
    const chain = await writeChain(6);
    await raw().updateOne({ chainId: chain, seq: 3 }, { $set: { action: "auth:logout" } });
    expect(await check(chain)).toEqual([expect.objectContaining({ chainId: chain, kind: "altered", seq: 3 })]);
  });

  it("detects an altered entry whose hash was recomputed to match (the next link breaks)", async () => {
    const chain = await writeChain(6);
    const doc = await raw().findOne({ chainId: chain, seq: 4 });
    const { _id, hash: _h, ...rest } = doc!;
    const forged = { ...rest, outcome: "denied" };
    await raw().updateOne({ _id }, { $set: { outcome: "denied", hash: entryHash(forged as never) } });
    expect(await check(chain)).toEqual([expect.objectContaining({ kind: "altered", seq: 4 })]);
  });

  it("detects a deleted entry", async () => {
    const chain = await writeChain(6);
    await raw().deleteOne({ chainId: chain, seq: 2 });
    expect(await check(chain)).toEqual([expect.objectContaining({ kind: "missing", seq: 2 })]);
  });

  it("detects deleted first entries", async () => {
    const chain = await writeChain(4);
    await raw().deleteMany({ chainId: chain, seq: { $lte: 2 } });
    expect(await check(chain)).toEqual([expect.objectContaining({ kind: "missing", seq: 1, detail: "seq 1–2 are missing" })]);
  });

  it("detects two entries whose seq were swapped", async () => {
    const chain = await writeChain(6);
    const c = raw();
    await c.updateOne({ chainId: chain, seq: 3 }, { $set: { seq: -3 } });
    await c.updateOne({ chainId: chain, seq: 4 }, { $set: { seq: 3 } });
    await c.updateOne({ chainId: chain, seq: -3 }, { $set: { seq: 4 } });
    const problems = await check(chain);
    expect(problems).toEqual([expect.objectContaining({ kind: "reordered", seq: 3, detail: "the entry at seq 3 was written as seq 4" })]);
    expect(formatReport({ chains: 1, entries: 6, problems })).toMatch(/chain .+: reordered at seq 3/);
  });

  it("reports each broken chain once and leaves intact chains out", async () => {
    const good = await writeChain(3);
    const bad1 = await writeChain(3);
    const bad2 = await writeChain(3);
    await raw().updateOne({ chainId: bad1, seq: 1 }, { $set: { userAgent: "edited" } });
    await raw().updateOne({ chainId: bad1, seq: 2 }, { $set: { userAgent: "edited" } });
    await raw().deleteOne({ chainId: bad2, seq: 2 });
    const report = await verifyAuditChains(raw(), { chainIds: [good, bad1, bad2] });
    expect(report.chains).toBe(3);
    expect(report.entries).toBe(8);
    expect(report.problems.map((p) => [p.chainId, p.kind, p.seq])).toEqual([
      [bad1, "altered", 1],
      [bad2, "missing", 2],
    ]);
  });
});
