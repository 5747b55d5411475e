import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntryView } from "@glp1/shared";
import { type Agent, auditSettled, loginAgent, makeUser, startTestApp, type TestApp } from "../test/harness.js";

let app: TestApp;
let adminAgent: Agent;
beforeAll(async () => {
  app = await startTestApp();
  adminAgent = await loginAgent(app, await makeUser(app, "admin"));
});
afterAll(() => app?.close());

/** Write `n` entries about a user of their own (several in the same millisecond: the tie-break matters). */
async function entriesFor(n: number): Promise<string> {
  const userId = new Types.ObjectId().toHexString();
  await Promise.all(Array.from({ length: n }, () => app.audit.record({ userId, role: "physician", action: "metrics:read", resource: "patient", outcome: "success" })));
  await auditSettled(app);
  return userId;
}

type Page = { entries: AuditEntryView[]; next: string | null };

describe("audit trail pages", () => {
  it("pages back with `before`, newest first, without gaps or repeats, and says when it has reached the end", async () => {
    const userId = await entriesFor(7);
    const all = (await adminAgent.get(`/api/audit?userId=${userId}`)).body as Page;
    expect(all.entries).toHaveLength(7);
    expect(all.next).toBeNull();

    const seen: AuditEntryView[] = [];
    const sizes: number[] = [];
    let next: string | null = null;
    do {
      const res = await adminAgent.get(`/api/audit?userId=${userId}&limit=3${next ? `&before=${next}` : ""}`);
      expect(res.status).toBe(200);
      const page = res.body as Page;
      sizes.push(page.entries.length);
      seen.push(...page.entries);
      next = page.next;
      if (next) expect(next).toBe(page.entries.at(-1)!.id);
    } while (next);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen.map((e) => e.id)).toEqual(all.entries.map((e) => e.id));
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1]!.at >= seen[i]!.at).toBe(true);
  });

  it("keeps the filters on every page; an exact last page answers next: null", async () => {
    const userId = await entriesFor(4);
    await app.audit.record({ userId, role: "physician", action: "chat:send", resource: "message", outcome: "success" });
    await auditSettled(app);
    const first = (await adminAgent.get(`/api/audit?userId=${userId}&action=metrics:read&limit=2`)).body as Page;
    expect(first.entries.map((e) => e.action)).toEqual(["metrics:read", "metrics:read"]);
    const second = (await adminAgent.get(`/api/audit?userId=${userId}&action=metrics:read&limit=2&before=${first.next}`)).body as Page;
    expect(second.entries).toHaveLength(2);
    expect(second.entries.every((e) => e.action === "metrics:read")).toBe(true);
    expect(second.next).toBeNull();
  });

  it("refuses a malformed or unknown cursor and an out-of-range limit with 400", async () => {
    for (const qs of ["before=abc", "before=0123456789ABCDEF0123456$", `before=${new Types.ObjectId().toHexString()}`, "limit=0", "limit=1001", "before=1&before=2"]) {
      const res = await adminAgent.get(`/api/audit?${qs}`);
      expect(res.status, qs).toBe(400);
      expect(res.body.error.code, qs).toBe("VALIDATION_FAILED");
    }
    const other = await loginAgent(app, await makeUser(app, "physician"));
    const userId = await entriesFor(2);
    const page = (await adminAgent.get(`/api/audit?userId=${userId}&limit=1`)).body as Page;
    expect((await other.get(`/api/audit?before=${page.next}`)).status).toBe(403);
  });
});
