import type { AlertView } from "@glp1/shared";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditSettled, type ClientSocket, connectSocket, emitAck, loginAgent, makeCareTeam, makeUser, nextEvent, sleep, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
const open: ClientSocket[] = [];
/** Grants last 1.5 s here, so expiry can be watched. */
const TTL_MS = 1500;
beforeAll(async () => {
  app = await startTestApp({ BREAK_GLASS_MINUTES: String(TTL_MS / 60_000) });
});
afterAll(async () => {
  open.forEach((s) => s.close());
  await app?.close();
});

const REASON = "Patient in ED, unconscious; care team unreachable after hours";

describe("break-glass access", () => {
  it("lets a physician outside the care team in for a limited time, with a stated reason, alerting every admin and marking every access", async () => {
    const t = await makeCareTeam(app);
    await (await loginAgent(app, t.patient)).post("/api/metrics", { readings: [{ kind: "weight", value: 88, unit: "kg", observedAt: new Date().toISOString() }] });
    const outsider = await makeUser(app, "physician");
    const doctor = await loginAgent(app, outsider);
    const admins = await Promise.all([makeUser(app, "admin"), makeUser(app, "admin")]);
    const adminSockets = await Promise.all(admins.map(async (a) => connectSocket(app, (await loginAgent(app, a)).cookie)));
    open.push(...adminSockets);
    // A non-admin (the care team's physician) must not get the notice.
    const teamSocket = await connectSocket(app, (await loginAgent(app, t.physician)).cookie);
    open.push(teamSocket);
    const teamGot: AlertView[] = [];
    teamSocket.on("alert:new", (p) => teamGot.push(p.alert));

    expect((await doctor.get(`/api/patients/${t.patient.id}/metrics`)).status).toBe(403);
    expect((await doctor.post(`/api/patients/${t.patient.id}/break-glass`, { reason: "short" })).status).toBe(400);
    expect((await doctor.post(`/api/patients/${t.patient.id}/break-glass`, {})).status).toBe(400);

    const notices = adminSockets.map((s) => nextEvent<{ alert: AlertView }>(s, "alert:new"));
    const res = await doctor.post(`/api/patients/${t.patient.id}/break-glass`, { reason: REASON });
    expect(res.status).toBe(200);
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(0);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(TTL_MS);
    for (const n of await Promise.all(notices)) {
      expect(n.alert).toMatchObject({ kind: "break_glass", patientId: t.patient.id, actorId: outsider.id, actorName: outsider.name, expiresAt: res.body.expiresAt });
      expect(JSON.stringify(n.alert)).not.toContain("unconscious");
      expect(JSON.stringify(n.alert)).not.toContain(t.patient.name);
    }

    // Access now works, and each access is audited as emergency access.
    const read = await doctor.get(`/api/patients/${t.patient.id}/metrics`);
    expect(read.status).toBe(200);
    expect(read.body.readings).toHaveLength(1);
    expect((await doctor.get(`/api/patients/${t.patient.id}/alerts`)).status).toBe(200);
    // Break-glass opens the record; prescribing stays with the care team.
    const rx = await doctor.post("/api/prescriptions", { patientId: t.patient.id, drug: "semaglutide", doseMg: 0.25, directions: "weekly", quantity: 1, refills: 0 });
    expect(rx.status).toBe(403);
    await auditSettled(app);
    const entries = await app.db.models.audit.find({ userId: new Types.ObjectId(outsider.id), patientId: new Types.ObjectId(t.patient.id), outcome: "success" }).lean();
    const byAction = new Map(entries.map((e) => [e.action, e.reason]));
    expect(byAction.get("patient:break_glass")).toBe("BREAK_GLASS_GRANTED");
    expect(byAction.get("metrics:read")).toBe("BREAK_GLASS");
    expect(byAction.get("alert:read")).toBe("BREAK_GLASS");

    // The reason is kept, sealed.
    const raw = await app.db.models.breakGlass.collection.findOne({ patientId: new Types.ObjectId(t.patient.id) });
    expect(String(raw!.reason)).toMatch(/^enc:v1:/);
    expect((await app.db.models.breakGlass.findById(raw!._id))!.reason).toBe(REASON);
    expect(teamGot).toEqual([]);

    // After expiry the door is shut again.
    await sleep(expiresAt - Date.now() + 200);
    expect((await doctor.get(`/api/patients/${t.patient.id}/metrics`)).status).toBe(403);
    await auditSettled(app);
    const denied = await app.db.models.audit.find({ userId: new Types.ObjectId(outsider.id), action: "metrics:read", outcome: "denied" }).lean();
    expect(denied.length).toBe(2);
  });

  it("is for physicians outside the care team only", async () => {
    const t = await makeCareTeam(app);
    const mine = await loginAgent(app, t.physician);
    expect((await mine.post(`/api/patients/${t.patient.id}/break-glass`, { reason: REASON })).status).toBe(409);
    for (const role of ["support", "patient", "admin"] as const) {
      const agent = await loginAgent(app, await makeUser(app, role));
      expect((await agent.post(`/api/patients/${t.patient.id}/break-glass`, { reason: REASON })).status).toBe(403);
    }
    const outsider = await loginAgent(app, await makeUser(app, "physician"));
    expect((await outsider.post(`/api/patients/${new Types.ObjectId().toHexString()}/break-glass`, { reason: REASON })).status).toBe(404);
  });

  it("covers the live feed too: the socket door checks the same grant", async () => {
    const t = await makeCareTeam(app);
    const outsider = await makeUser(app, "physician");
    const agent = await loginAgent(app, outsider);
    const s = await connectSocket(app, agent.cookie);
    open.push(s);
    expect(await emitAck(s, "metrics:subscribe", { patientId: t.patient.id })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    await agent.post(`/api/patients/${t.patient.id}/break-glass`, { reason: REASON });
    expect(await emitAck(s, "metrics:subscribe", { patientId: t.patient.id })).toEqual({ ok: true, data: {} });
    // While the grant lasts, the open feed gets the patient's readings…
    const patient = await loginAgent(app, t.patient);
    const got: unknown[] = [];
    s.on("metrics:update", (p) => got.push(p));
    await patient.post("/api/metrics", { readings: [{ kind: "weight", value: 90, unit: "kg", observedAt: new Date().toISOString() }] });
    await sleep(300);
    expect(got).toHaveLength(1);
    // …and when it lapses, the feed closes without the physician doing anything.
    await sleep(TTL_MS + 300);
    await patient.post("/api/metrics", { readings: [{ kind: "weight", value: 89, unit: "kg", observedAt: new Date().toISOString() }] });
    await sleep(300);
    expect(got).toHaveLength(1);
    expect(s.connected).toBe(true);
  });
});
