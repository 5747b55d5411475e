import type { ChatMessage } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, auditSettled, connectSocket, emitAck, loginAgent, makeCareTeam, makeUser, startTestApp, type TestApp } from "../test/harness.js";
import { entryHash, GENESIS_HASH } from "./audit.writer.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

describe("audit trail", () => {
  it("records a socket event with who, what, where and when, but never the message text", async () => {
    const team = await makeCareTeam(app);
    const socket = await connectSocket(app, (await loginAgent(app, team.patient)).cookie);
    const ack = await emitAck<{ message: ChatMessage }>(socket, "chat:send", { conversationId: team.conversationId, body: "secret symptom text", clientId: "audit-test-01" });
    socket.close();
    if (!ack.ok) throw new Error("send failed");
    await auditSettled(app);
    const entry = await app.db.models.audit.findOne({ action: "chat:send", userId: team.patient.id }).lean();
    expect(entry).toMatchObject({ role: "patient", resource: "message", resourceId: ack.data.message.id, outcome: "success" });
    expect(String(entry!.patientId)).toBe(team.patient.id);
    expect(entry!.ip).toBeTruthy();
    expect(entry!.requestId).toBeTruthy();
    expect(entry!.at).toBeInstanceOf(Date);
    // The push to the physician is a disclosure, audited for that recipient.
    const disclosure = await app.db.models.audit.findOne({ action: "chat:message", userId: team.physician.id }).lean();
    expect(disclosure?.resourceId).toBe(ack.data.message.id);
    const all = JSON.stringify(await app.db.models.audit.find().lean());
    expect(all).not.toContain("secret symptom text");
    expect(await app.db.models.audit.countDocuments({ action: "socket:connect", userId: team.patient.id })).toBe(1);
  });

  it("chains entries by hash so an edit is detectable", async () => {
    await loginAgent(app, await makeUser(app, "patient"));
    await auditSettled(app);
    const chain = await app.db.models.audit.find({ chainId: app.audit.chainId }).sort({ seq: 1 }).lean();
    expect(chain.length).toBeGreaterThan(2);
    let prev = GENESIS_HASH;
    for (const e of chain) {
      expect(e.prevHash).toBe(prev);
      const { hash, _id, ...rest } = e;
      void _id;
      expect(entryHash(rest)).toBe(hash);
      prev = hash;
    }
    const { hash, _id, ...first } = chain[0]!;
    void _id;
    expect(entryHash({ ...first, action: "auth:logout" })).not.toBe(hash);
  });

  it("serves GET /api/audit to admins only, newest first, filtered", async () => {
    const admin = await makeUser(app, "admin");
    const physician = await makeUser(app, "physician");
    const adminAgent = await loginAgent(app, admin);
    const physicianAgent = await loginAgent(app, physician);
    const denied = await physicianAgent.get("/api/audit");
    expect(denied.status).toBe(403);
    const res = await adminAgent.get(`/api/audit?userId=${physician.id}&action=auth:login`);
    expect(res.status).toBe(200);
    expect(res.body.entries.length).toBeGreaterThanOrEqual(1);
    expect(res.body.entries.every((e: { userId: string; action: string }) => e.userId === physician.id && e.action === "auth:login")).toBe(true);
    const recent = await adminAgent.get("/api/audit?limit=20");
    const times = recent.body.entries.map((e: { at: string }) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    // The physician's refused read is itself in the trail.
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "audit:read", userId: physician.id, outcome: "denied" })).toBe(1);
    expect((await adminAgent.get("/api/audit?userId[$ne]=x")).status).toBe(400);
    expect((await new Agent(app.url).get("/api/audit")).status).toBe(401);
  });

  it("fails closed: when the audit log cannot record, the act is refused", async () => {
    const other = await startTestApp();
    const team = await makeCareTeam(other);
    const socket = await connectSocket(other, (await loginAgent(other, team.patient)).cookie);
    await other.audit.close();
    const ack = await emitAck(socket, "chat:send", { conversationId: team.conversationId, body: "not audited", clientId: "audit-closed-1" });
    expect(ack).toMatchObject({ ok: false, error: { code: "AUDIT_UNAVAILABLE" } });
    socket.close();
    await other.close();
  });
});
