import type { AlertView, Reading } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditSettled,
  type ClientSocket,
  connectSocket,
  emitAck,
  loginAgent,
  makeCareTeam,
  makeUser,
  nextEvent,
  noEvent,
  startTestApp,
  type TestApp,
} from "../../test/harness.js";

let app: TestApp;
const open: ClientSocket[] = [];
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  open.forEach((s) => s.close());
  await app?.close();
});

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

async function team() {
  const t = await makeCareTeam(app);
  return { ...t, patientAgent: await loginAgent(app, t.patient), physicianAgent: await loginAgent(app, t.physician) };
}
async function sock(cookie: string | null) {
  const s = await connectSocket(app, cookie);
  open.push(s);
  return s;
}

describe("reporting readings", () => {
  it("normalizes units, keeps what was entered, and returns canonical values", async () => {
    const t = await team();
    const res = await t.patientAgent.post("/api/metrics", {
      readings: [
        { kind: "weight", value: 220, unit: "lb", observedAt: ago(1) },
        { kind: "glucose", value: 5.5, unit: "mmol/L", observedAt: ago(1) },
        { kind: "waist", value: 40, unit: "in", observedAt: ago(1) },
        { kind: "bp", value: { systolic: 128, diastolic: 82 }, unit: "mmHg", observedAt: ago(1) },
        { kind: "dose", value: { drug: "semaglutide", mg: 0.25, site: "abdomen" }, unit: "mg", observedAt: ago(1) },
      ],
    });
    expect(res.status).toBe(201);
    const [weight, glucose, waist, bp, dose] = res.body.readings as Reading[];
    expect(weight).toMatchObject({ kind: "weight", value: 99.79, unit: "kg", entered: { value: 220, unit: "lb" } });
    expect(glucose).toMatchObject({ value: 99.1, unit: "mg/dL", entered: { value: 5.5, unit: "mmol/L" } });
    expect(waist).toMatchObject({ value: 101.6, unit: "cm" });
    expect(bp).toMatchObject({ value: { systolic: 128, diastolic: 82 }, unit: "mmHg" });
    expect(dose).toMatchObject({ value: { drug: "semaglutide", mg: 0.25, site: "abdomen" }, unit: "mg" });
    const list = await t.physicianAgent.get(`/api/patients/${t.patient.id}/metrics?kind=weight`);
    expect(list.body.readings.map((r: Reading) => r.value)).toEqual([99.79]);
  });

  it.each([
    ["an impossible weight", { kind: "weight", value: 2000, unit: "kg" }],
    ["a diastolic above the systolic", { kind: "bp", value: { systolic: 80, diastolic: 120 }, unit: "mmHg" }],
    ["an unknown kind", { kind: "cholesterol", value: 180, unit: "mg/dL" }],
    ["a wrong unit", { kind: "weight", value: 80, unit: "stone" }],
    ["a dose not on the ladder", { kind: "dose", value: { drug: "semaglutide", mg: 3, site: "abdomen" }, unit: "mg" }],
    ["a GI score over 10", { kind: "gi", value: { nausea: 11, vomiting: 0, diarrhea: 0, constipation: 0, abdominal_pain: 0 } }],
    ["an operator object", { kind: "weight", value: { $gt: 0 }, unit: "kg" }],
  ])("refuses %s with 400 and stores nothing from the report", async (_n, bad) => {
    const t = await team();
    const res = await t.patientAgent.post("/api/metrics", {
      readings: [{ kind: "weight", value: 80, unit: "kg", observedAt: ago(1) }, { observedAt: ago(1), ...bad }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(await app.db.models.readings.countDocuments({ patientId: t.patient.id })).toBe(0);
  });

  it("refuses a reading from the future", async () => {
    const t = await team();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await t.patientAgent.post("/api/metrics", { readings: [{ kind: "weight", value: 80, unit: "kg", observedAt: future }] });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual(["readings.0.observedAt"]);
  });

  it("does not double a report retried with the same requestId", async () => {
    const t = await team();
    const body = { requestId: "retry-report-1", readings: [{ kind: "weight", value: 81, unit: "kg", observedAt: ago(0) }] };
    const a = await t.patientAgent.post("/api/metrics", body);
    const b = await t.patientAgent.post("/api/metrics", body);
    expect(b.body.readings[0].id).toBe(a.body.readings[0].id);
    expect(await app.db.models.readings.countDocuments({ patientId: t.patient.id })).toBe(1);
  });

  it("refuses readings from anyone but a patient (for themself), and keeps values sealed at rest", async () => {
    const t = await team();
    const res = await t.physicianAgent.post("/api/metrics", { readings: [{ kind: "weight", value: 80, unit: "kg", observedAt: ago(0) }] });
    expect(res.status).toBe(403);
    await t.patientAgent.post("/api/metrics", { readings: [{ kind: "weight", value: 123.45, unit: "kg", observedAt: ago(0) }] });
    const raw = await app.db.conn.db!.collection("readings").findOne({ patientId: (await app.db.models.readings.findOne({ patientId: t.patient.id }))!.patientId });
    expect(JSON.stringify(raw)).not.toContain("123.45");
  });
});

describe("who may read", () => {
  it("lets the patient and their care team read, and refuses (and audits) everyone else", async () => {
    const t = await team();
    await t.patientAgent.post("/api/metrics", { readings: [{ kind: "heart_rate", value: 72, unit: "/min", observedAt: ago(0) }] });
    expect((await t.patientAgent.get(`/api/patients/${t.patient.id}/metrics`)).status).toBe(200);
    const otherDoc = await loginAgent(app, await makeUser(app, "physician"));
    const support = await loginAgent(app, await makeUser(app, "support"));
    const otherPatient = await loginAgent(app, await makeUser(app, "patient"));
    for (const agent of [otherDoc, support, otherPatient]) {
      const res = await agent.get(`/api/patients/${t.patient.id}/metrics`);
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain("72");
    }
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "metrics:read", patientId: t.patient.id, outcome: "denied" })).toBe(3);
  });

  it("with a limit, answers the newest readings, oldest first", async () => {
    const t = await team();
    const days = [9, 7, 5, 3, 1];
    await t.patientAgent.post("/api/metrics", { readings: days.map((d, i) => ({ kind: "weight", value: 100 - i, unit: "kg", observedAt: ago(d) })) });
    const res = await t.physicianAgent.get(`/api/patients/${t.patient.id}/metrics?kind=weight&limit=2`);
    expect(res.status).toBe(200);
    expect((res.body.readings as Reading[]).map((r) => r.value)).toEqual([97, 96]);
  });
});

describe("live feed and alerts", () => {
  it("pushes readings to the patient's room, which only the patient and care team can join", async () => {
    const t = await team();
    const watcher = await sock(t.physicianAgent.cookie);
    const outsider = await sock((await loginAgent(app, await makeUser(app, "physician"))).cookie);
    expect(await emitAck(watcher, "metrics:subscribe", { patientId: t.patient.id })).toEqual({ ok: true, data: {} });
    expect(await emitAck(outsider, "metrics:subscribe", { patientId: t.patient.id })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    const update = nextEvent<{ patientId: string; readings: Reading[] }>(watcher, "metrics:update");
    const noLeak = noEvent(outsider, "metrics:update", 700);
    const patientSocket = await sock(t.patientAgent.cookie);
    const ack = await emitAck<{ readings: Reading[] }>(patientSocket, "metrics:report", { readings: [{ kind: "weight", value: 95, unit: "kg", observedAt: ago(0) }] });
    expect(ack.ok).toBe(true);
    expect((await update).readings[0]).toMatchObject({ kind: "weight", value: 95 });
    expect(await noLeak).toBe(true);
    // After unsubscribing, the physician's socket hears no more of this patient.
    expect(await emitAck(watcher, "metrics:unsubscribe", { patientId: t.patient.id })).toEqual({ ok: true, data: {} });
    const nothingAfter = noEvent(watcher, "metrics:update", 700);
    await emitAck(patientSocket, "metrics:report", { readings: [{ kind: "weight", value: 94.5, unit: "kg", observedAt: ago(0) }] });
    expect(await nothingAfter).toBe(true);
  });

  it("raises an urgent alert to the care team, tells the patient what to do, and lets the physician acknowledge it", async () => {
    const t = await team();
    const physicianSocket = await sock(t.physicianAgent.cookie);
    const patientSocket = await sock(t.patientAgent.cookie);
    const alertNew = nextEvent<{ alert: AlertView }>(physicianSocket, "alert:new");
    const told = nextEvent<{ instructions: Array<{ instructions: string }> }>(patientSocket, "alert:instructions");
    const res = await t.patientAgent.post("/api/metrics", { readings: [{ kind: "phq9", value: { score: 14, item9: 1 }, observedAt: ago(0) }] });
    expect(res.status).toBe(201);
    expect(res.body.instructions[0].instructions).toMatch(/988/);
    const { alert } = await alertNew;
    expect(alert).toMatchObject({ patientId: t.patient.id, kind: "suicidal_ideation", severity: "urgent", status: "open" });
    expect(alert.evidence).toBeUndefined(); // the push carries no values
    expect((await told).instructions[0]!.instructions).toMatch(/988/);

    // A repeat does not open a second alert.
    await t.patientAgent.post("/api/metrics", { readings: [{ kind: "phq9", value: { score: 15, item9: 2 }, observedAt: ago(0) }] });
    const list = await t.physicianAgent.get(`/api/patients/${t.patient.id}/alerts?status=open`);
    expect(list.body.alerts).toHaveLength(1);
    expect(list.body.alerts[0]).toMatchObject({ occurrences: 2, evidence: { item9: 1 } });

    const other = await loginAgent(app, await makeUser(app, "physician"));
    expect((await other.post(`/api/alerts/${alert.id}/ack`)).status).toBe(403);
    const acked = await emitAck<{ alert: AlertView }>(physicianSocket, "alert:ack", { alertId: alert.id });
    expect(acked).toMatchObject({ ok: true, data: { alert: { status: "acknowledged", acknowledgedBy: t.physician.id } } });
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "alert:ack", userId: t.physician.id, outcome: "success" })).toBe(1);
    // After acknowledgement a new occurrence opens a new alert.
    await t.patientAgent.post("/api/metrics", { readings: [{ kind: "phq9", value: { score: 10, item9: 1 }, observedAt: ago(0) }] });
    expect((await t.physicianAgent.get(`/api/patients/${t.patient.id}/alerts?status=open`)).body.alerts).toHaveLength(1);
  });

  it("flags weight loss faster than 1.5 kg/week from the stored history", async () => {
    const t = await team();
    await t.patientAgent.post("/api/metrics", { readings: [{ kind: "weight", value: 110, unit: "kg", observedAt: ago(15) }] });
    await t.patientAgent.post("/api/metrics", { readings: [{ kind: "weight", value: 105, unit: "kg", observedAt: ago(0) }] });
    const alerts = (await t.physicianAgent.get(`/api/patients/${t.patient.id}/alerts`)).body.alerts as AlertView[];
    expect(alerts.map((a) => a.kind)).toEqual(["rapid_weight_loss"]);
  });
});
