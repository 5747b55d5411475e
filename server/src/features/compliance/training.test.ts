import type { TrainingStatusView } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditSettled, loginAgent, makeUser, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

describe("workforce HIPAA training", () => {
  it("records completions and lists every staff member with the last one, lapsed after 365 days", async () => {
    const admin = await makeUser(app, "admin");
    const current = await makeUser(app, "physician");
    const expired = await makeUser(app, "support");
    const never = await makeUser(app, "physician");
    const patient = await makeUser(app, "patient");
    const agent = await loginAgent(app, admin);

    const r1 = await agent.post("/api/admin/training", { userId: current.id, completedAt: daysAgo(400), course: "HIPAA Privacy & Security 2024" });
    expect(r1.status).toBe(201);
    expect(r1.body.record).toMatchObject({ userId: current.id, course: "HIPAA Privacy & Security 2024", recordedBy: admin.id });
    const recent = daysAgo(20);
    expect((await agent.post("/api/admin/training", { userId: current.id, completedAt: recent, course: "HIPAA Privacy & Security 2025" })).status).toBe(201);
    expect((await agent.post("/api/admin/training", { userId: expired.id, completedAt: daysAgo(366), course: "HIPAA annual" })).status).toBe(201);

    const res = await agent.get("/api/admin/training");
    expect(res.status).toBe(200);
    const by = new Map((res.body.staff as TrainingStatusView[]).map((s) => [s.userId, s]));
    expect(by.get(current.id)).toMatchObject({ role: "physician", name: current.name, lapsed: false, lastCourse: "HIPAA Privacy & Security 2025" });
    expect(by.get(current.id)!.lastCompletedAt).toBe(recent);
    expect(by.get(expired.id)).toMatchObject({ role: "support", lapsed: true, lastCourse: "HIPAA annual" });
    expect(by.get(never.id)).toMatchObject({ lapsed: true, lastCompletedAt: null, lastCourse: null });
    expect(by.get(admin.id)).toMatchObject({ role: "admin", lapsed: true });
    expect(by.has(patient.id)).toBe(false);

    // Every record is kept (a correction is a new record).
    expect(await app.db.models.trainingRecords.countDocuments({ userId: current.id })).toBe(2);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "training:record", userId: admin.id, outcome: "success" })).toBe(3);
    expect(await app.db.models.audit.countDocuments({ action: "training:list", userId: admin.id, outcome: "success" })).toBe(1);
  });

  it("refuses non-admins, patients as trainees, bad input, and has no way to delete a record", async () => {
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    const staff = await makeUser(app, "support");
    const patient = await makeUser(app, "patient");
    const physician = await makeUser(app, "physician");
    const doctor = await loginAgent(app, physician);
    expect((await doctor.post("/api/admin/training", { userId: staff.id, completedAt: daysAgo(1), course: "HIPAA" })).status).toBe(403);
    expect((await doctor.get("/api/admin/training")).status).toBe(403);
    expect((await admin.post("/api/admin/training", { userId: patient.id, completedAt: daysAgo(1), course: "HIPAA" })).status).toBe(404);
    expect((await admin.post("/api/admin/training", { userId: staff.id, completedAt: daysAgo(-10), course: "HIPAA" })).status).toBe(400);
    expect((await admin.post("/api/admin/training", { userId: staff.id, completedAt: daysAgo(1), course: "<script>" })).status).toBe(400);
    expect((await admin.post("/api/admin/training", { userId: staff.id, completedAt: daysAgo(1), course: "HIPAA", extra: 1 })).status).toBe(400);
    const ok = await admin.post("/api/admin/training", { userId: staff.id, completedAt: daysAgo(1), course: "HIPAA" });
    expect(ok.status).toBe(201);
    expect((await admin.request("DELETE", `/api/admin/training/${ok.body.record.id}`)).status).toBe(404);
    expect(await app.db.models.trainingRecords.countDocuments({ _id: ok.body.record.id })).toBe(1);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "training:record", userId: physician.id, outcome: "denied" })).toBe(1);
  });
});
