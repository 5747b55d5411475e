import type { PrescriptionView } from "@glp1/shared";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, auditSettled, loginAgent, makeCareTeam, makeUser, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

async function team() {
  const t = await makeCareTeam(app);
  return { ...t, doctor: await loginAgent(app, t.physician), patientAgent: await loginAgent(app, t.patient) };
}

const body = (patientId: string, over: Record<string, unknown> = {}) => ({
  patientId,
  drug: "semaglutide",
  doseMg: 0.25,
  directions: "Inject 0.25 mg under the skin once weekly",
  quantity: 1,
  refills: 2,
  ...over,
});

async function create(agent: Agent, patientId: string, over: Record<string, unknown> = {}): Promise<PrescriptionView> {
  const res = await agent.post("/api/prescriptions", body(patientId, over));
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.prescription as PrescriptionView;
}

async function act(agent: Agent, id: string, action: string, expected = 200): Promise<PrescriptionView> {
  const res = await agent.post(`/api/prescriptions/${id}/${action}`);
  expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(expected);
  return res.body.prescription as PrescriptionView;
}

const raw = () => app.db.conn.db!.collection("prescriptions");

/** Move a prescription's signing date into the past with the raw driver (the app has no clock to wind). */
const backdate = (id: string, weeks: number) =>
  raw().updateOne({ _id: new Types.ObjectId(id) }, { $set: { signedAt: new Date(Date.now() - weeks * WEEK_MS - 60_000) } });

async function signed(agent: Agent, patientId: string, over: Record<string, unknown> = {}, weeksAgo = 0) {
  const p = await create(agent, patientId, over);
  await act(agent, p.id, "sign");
  if (weeksAgo) await backdate(p.id, weeksAgo);
  return p;
}

async function auditFor(action: string, patientId: string) {
  await auditSettled(app);
  return app.db.models.audit.find({ action, patientId }).sort({ at: 1 }).lean();
}

describe("prescription lifecycle", () => {
  it("creates a draft, then signs, sends and fills it; each step audited", async () => {
    const t = await team();
    const res = await t.doctor.post("/api/prescriptions", body(t.patient.id));
    expect(res.status).toBe(201);
    const draft = res.body.prescription as PrescriptionView;
    expect(draft).toMatchObject({
      patientId: t.patient.id,
      physicianId: t.physician.id,
      drug: "semaglutide",
      doseMg: 0.25,
      directions: "Inject 0.25 mg under the skin once weekly",
      quantity: 1,
      refills: 2,
      status: "draft",
      override: null,
      titration: { kind: "start" },
      signedAt: null,
      signature: null,
    });
    expect(Types.ObjectId.isValid(draft.id)).toBe(true);
    expect(Date.parse(draft.createdAt)).not.toBeNaN();

    const s = await act(t.doctor, draft.id, "sign");
    expect(s.status).toBe("signed");
    expect(s.signature).toMatchObject({ alg: "Ed25519" });
    expect(s.signedAt).not.toBeNull();
    expect((await act(t.doctor, draft.id, "send")).status).toBe("sent");
    const filled = await act(t.doctor, draft.id, "fill");
    expect(filled).toMatchObject({ status: "filled", signedAt: s.signedAt });
    expect(filled.filledAt).not.toBeNull();

    const verify = await t.doctor.get(`/api/prescriptions/${draft.id}/verify`);
    expect(verify.body).toEqual({ valid: true });

    for (const action of ["prescription:create", "prescription:sign", "prescription:send", "prescription:fill", "prescription:verify"]) {
      const [entry] = await auditFor(action, t.patient.id);
      expect(entry, action).toMatchObject({ outcome: "success", resource: "prescription", resourceId: draft.id, reason: null });
    }
  });

  it.each(["draft", "signed", "sent"] as const)("cancels a %s prescription", async (state) => {
    const t = await team();
    const p = await create(t.doctor, t.patient.id);
    if (state !== "draft") await act(t.doctor, p.id, "sign");
    if (state === "sent") await act(t.doctor, p.id, "send");
    const c = await act(t.doctor, p.id, "cancel");
    expect(c.status).toBe("cancelled");
    expect(c.cancelledAt).not.toBeNull();
  });

  it.each([
    ["send a draft", [], "send"],
    ["fill a draft", [], "fill"],
    ["sign twice", ["sign"], "sign"],
    ["fill a signed one", ["sign"], "fill"],
    ["sign a sent one", ["sign", "send"], "sign"],
    ["send twice", ["sign", "send"], "send"],
    ["cancel a filled one", ["sign", "send", "fill"], "cancel"],
    ["fill twice", ["sign", "send", "fill"], "fill"],
    ["sign a cancelled one", ["cancel"], "sign"],
    ["cancel twice", ["cancel"], "cancel"],
  ])("refuses to %s with 409 INVALID_TRANSITION", async (_name, before, action) => {
    const t = await team();
    const p = await create(t.doctor, t.patient.id);
    for (const a of before) await act(t.doctor, p.id, a);
    const res = await t.doctor.post(`/api/prescriptions/${p.id}/${action}`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("INVALID_TRANSITION");
    const [entry] = await auditFor(`prescription:${action}`, t.patient.id).then((es) => es.filter((e) => e.outcome !== "success"));
    expect(entry).toMatchObject({ outcome: "failure", reason: "INVALID_TRANSITION" });
  });

  it("lets exactly one of several concurrent signs win", async () => {
    const t = await team();
    const p = await create(t.doctor, t.patient.id);
    const results = await Promise.all(Array.from({ length: 6 }, () => t.doctor.post(`/api/prescriptions/${p.id}/sign`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === "INVALID_TRANSITION")).toBe(true);
    expect((await t.doctor.get(`/api/prescriptions/${p.id}/verify`)).body).toEqual({ valid: true });
  });

  it("lets exactly one of a concurrent send and cancel win", async () => {
    const t = await team();
    const p = await create(t.doctor, t.patient.id);
    await act(t.doctor, p.id, "sign");
    const [a, b] = await Promise.all([t.doctor.post(`/api/prescriptions/${p.id}/send`), t.doctor.post(`/api/prescriptions/${p.id}/cancel`)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });
});

describe("who may prescribe", () => {
  it("refuses a physician outside the care team (403, audited denied) and stores nothing", async () => {
    const t = await team();
    const outsider = await loginAgent(app, await makeUser(app, "physician"));
    const res = await outsider.post("/api/prescriptions", body(t.patient.id));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    expect(await app.db.models.prescriptions.countDocuments({ patientId: t.patient.id })).toBe(0);
    const [entry] = await auditFor("prescription:create", t.patient.id);
    expect(entry).toMatchObject({ outcome: "denied", reason: "FORBIDDEN", resource: "prescription" });
  });

  it("refuses the patient, and another physician cannot sign, send or cancel a colleague's prescription", async () => {
    const t = await team();
    expect((await t.patientAgent.post("/api/prescriptions", body(t.patient.id))).status).toBe(403);
    const colleague = await makeUser(app, "physician");
    await app.services.admin.setCareTeam({ patientId: t.patient.id, physicianIds: [t.physician.id, colleague.id] }, { resource: "careteam" });
    const other = await loginAgent(app, colleague);
    const p = await create(t.doctor, t.patient.id);
    for (const action of ["sign", "cancel"]) expect((await other.post(`/api/prescriptions/${p.id}/${action}`)).status).toBe(403);
    await act(t.doctor, p.id, "sign");
    expect((await other.post(`/api/prescriptions/${p.id}/send`)).status).toBe(403);
    await act(t.doctor, p.id, "send");
    // The fill (pharmacy confirmation) may be recorded by any physician in the care team.
    expect((await act(other, p.id, "fill")).status).toBe("filled");
    expect(await app.db.models.prescriptions.countDocuments({ patientId: t.patient.id })).toBe(1);
  });

  it("answers 400 for bad input without storing anything", async () => {
    const t = await team();
    for (const bad of [
      { quantity: 13 },
      { refills: 1.5 },
      { directions: "" },
      { directions: "Inject 0.25 mg\u0007 weekly" },
      { directions: "Inject \u202e52.0 mg weekly" },
      { drug: "liraglutide" },
      { doseMg: "0.25" },
      { overrideReason: "short" },
      { extra: true },
    ]) {
      const res = await t.doctor.post("/api/prescriptions", body(t.patient.id, bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await t.doctor.post("/api/prescriptions/not-an-id/sign")).status).toBe(400);
    expect(await app.db.models.prescriptions.countDocuments({ patientId: t.patient.id })).toBe(0);
  });
});

describe("titration ladder", () => {
  it("answers 422 TITRATION_RULE for a start above the first step, and 201 with a written override (audited TITRATION_OVERRIDE)", async () => {
    const t = await team();
    const refused = await t.doctor.post("/api/prescriptions", body(t.patient.id, { doseMg: 0.5 }));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("TITRATION_RULE");
    expect(refused.body.error.message).toContain("FIRST_STEP");
    expect(refused.body.error.details).toEqual({ rule: "FIRST_STEP", overridable: true });
    expect(await app.db.models.prescriptions.countDocuments({ patientId: t.patient.id })).toBe(0);

    const reason = "Tolerated 0.5 mg for 3 months in a previous program";
    const ok = await t.doctor.post("/api/prescriptions", body(t.patient.id, { doseMg: 0.5, overrideReason: reason }));
    expect(ok.status).toBe(201);
    expect(ok.body.prescription).toMatchObject({ override: { reason, rule: "FIRST_STEP" }, titration: { kind: "start" } });
    const id = ok.body.prescription.id as string;
    expect((await act(t.doctor, id, "sign")).override).toEqual({ reason, rule: "FIRST_STEP" });

    const created = await auditFor("prescription:create", t.patient.id);
    expect(created.map((e) => [e.outcome, e.reason])).toEqual([
      ["failure", "TITRATION_RULE"],
      ["success", "TITRATION_OVERRIDE"],
    ]);
    expect((await auditFor("prescription:sign", t.patient.id))[0]).toMatchObject({ outcome: "success", reason: "TITRATION_OVERRIDE" });
    // The reason text is sealed on the prescription, never in the audit trail.
    const rawRx = await raw().findOne({ _id: new Types.ObjectId(id) });
    expect(String(rawRx!.overrideReason)).toMatch(/^enc:v1:/);
    expect(String(rawRx!.directions)).toMatch(/^enc:v1:/);
    const everything = JSON.stringify(await app.db.conn.db!.collection("audit").find({ patientId: new Types.ObjectId(t.patient.id) }).toArray());
    expect(everything).not.toContain("previous program");
  });

  it("refuses a dose that is not on the ladder even with an override", async () => {
    const t = await team();
    const res = await t.doctor.post("/api/prescriptions", body(t.patient.id, { doseMg: 3, overrideReason: "Patient insists on a higher dose" }));
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain("NOT_ON_LADDER");
  });

  it("escalates one step after 4 weeks at the current dose, not after 3", async () => {
    const t = await team();
    const first = await signed(t.doctor, t.patient.id, {}, 3);
    const early = await t.doctor.post("/api/prescriptions", body(t.patient.id, { doseMg: 0.5 }));
    expect(early.status).toBe(422);
    expect(early.body.error.message).toContain("MIN_WEEKS");
    await backdate(first.id, 4);
    expect((await create(t.doctor, t.patient.id, { doseMg: 0.5 })).titration.kind).toBe("escalate");
    const skip = await t.doctor.post("/api/prescriptions", body(t.patient.id, { doseMg: 1.0 }));
    expect(skip.body.error.message).toContain("ONE_STEP");
    expect((await create(t.doctor, t.patient.id, { doseMg: 0.25 })).titration.kind).toBe("hold");
  });

  it("checks the ladder again at signing: a draft outdated by a drug switch is refused", async () => {
    const t = await team();
    await signed(t.doctor, t.patient.id, {}, 5);
    const draft = await create(t.doctor, t.patient.id, { doseMg: 0.5 });
    expect(draft.titration.kind).toBe("escalate");
    const tz = await signed(t.doctor, t.patient.id, { drug: "tirzepatide", doseMg: 2.5, directions: "Inject 2.5 mg weekly" });
    expect((await t.doctor.get(`/api/prescriptions/${tz.id}`)).body.prescription.titration.kind).toBe("switch");
    const res = await t.doctor.post(`/api/prescriptions/${draft.id}/sign`);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain("SWITCH_DRUG");
    expect((await t.doctor.get(`/api/prescriptions/${draft.id}`)).body.prescription.status).toBe("draft");
  });

  it("gives the care team the writer's view; drafts and cancelled prescriptions do not count", async () => {
    const t = await team();
    const s = await signed(t.doctor, t.patient.id, {}, 5);
    const cancelled = await signed(t.doctor, t.patient.id, { doseMg: 0.5 });
    await act(t.doctor, cancelled.id, "cancel");
    await create(t.doctor, t.patient.id, { doseMg: 0.5 });
    const res = await t.doctor.get(`/api/patients/${t.patient.id}/titration`);
    expect(res.status).toBe(200);
    expect(res.body.history).toEqual([{ id: s.id, drug: "semaglutide", doseMg: 0.25, status: "signed", signedAt: expect.any(String) }]);
    expect(res.body.next).toMatchObject({
      current: { drug: "semaglutide", doseMg: 0.25, weeksAtDose: 5 },
      suggested: { drug: "semaglutide", doseMg: 0.5, kind: "escalate" },
      escalation: { doseMg: 0.5, due: true },
    });
    expect((await t.patientAgent.get(`/api/patients/${t.patient.id}/titration`)).status).toBe(403);
  });
});

describe("signatures", () => {
  it("detects a dose edited in the database, and says when a prescription is unsigned", async () => {
    const t = await team();
    const p = await signed(t.doctor, t.patient.id);
    expect((await t.doctor.get(`/api/prescriptions/${p.id}/verify`)).body).toEqual({ valid: true });
    await raw().updateOne({ _id: new Types.ObjectId(p.id) }, { $set: { doseMg: 1.0 } });
    const res = await t.doctor.get(`/api/prescriptions/${p.id}/verify`);
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);

    const draft = await create(t.doctor, t.patient.id);
    expect((await t.doctor.get(`/api/prescriptions/${draft.id}/verify`)).body).toEqual({ valid: false, reason: "unsigned" });
  });

  it("detects sealed directions swapped between records", async () => {
    const t = await team();
    const a = await signed(t.doctor, t.patient.id);
    const b = await create(t.doctor, t.patient.id, { directions: "Something else entirely" });
    const other = await raw().findOne({ _id: new Types.ObjectId(b.id) });
    await raw().updateOne({ _id: new Types.ObjectId(a.id) }, { $set: { directions: other!.directions } });
    expect((await t.doctor.get(`/api/prescriptions/${a.id}/verify`)).body).toEqual({ valid: false, reason: "unreadable" });
  });

  it("lets an admin verify but not the patient or an outsider", async () => {
    const t = await team();
    const p = await signed(t.doctor, t.patient.id);
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    expect((await admin.get(`/api/prescriptions/${p.id}/verify`)).body).toEqual({ valid: true });
    expect((await t.patientAgent.get(`/api/prescriptions/${p.id}/verify`)).status).toBe(403);
    const outsider = await loginAgent(app, await makeUser(app, "physician"));
    expect((await outsider.get(`/api/prescriptions/${p.id}/verify`)).status).toBe(403);
  });

  it("keeps one key pair per physician with the private key sealed at rest", async () => {
    const t = await team();
    await signed(t.doctor, t.patient.id);
    await signed(t.doctor, t.patient.id);
    const keys = await app.db.conn.db!.collection("signingkeys").find({ physicianId: new Types.ObjectId(t.physician.id) }).toArray();
    expect(keys).toHaveLength(1);
    const dump = JSON.stringify(await app.db.conn.db!.collection("signingkeys").find().toArray());
    expect(dump).not.toContain("PRIVATE KEY");
    expect(dump).toContain("PUBLIC KEY");
    expect(String(keys[0]!.privateKeyPem)).toMatch(/^enc:v1:/);
  });
});

describe("reading and refills", () => {
  it("lists a patient's prescriptions newest first; the patient does not see drafts", async () => {
    const t = await team();
    const a = await signed(t.doctor, t.patient.id);
    const b = await create(t.doctor, t.patient.id);
    const doc = await t.doctor.get(`/api/patients/${t.patient.id}/prescriptions`);
    expect(doc.body.prescriptions.map((p: PrescriptionView) => p.id)).toEqual([b.id, a.id]);
    const mine = await t.patientAgent.get(`/api/patients/${t.patient.id}/prescriptions`);
    expect(mine.status).toBe(200);
    expect(mine.body.prescriptions.map((p: PrescriptionView) => p.id)).toEqual([a.id]);
    expect(mine.body.prescriptions[0].directions).toBe("Inject 0.25 mg under the skin once weekly");
    const stranger = await loginAgent(app, await makeUser(app, "patient"));
    expect((await stranger.get(`/api/patients/${t.patient.id}/prescriptions`)).status).toBe(403);
    expect((await auditFor("prescription:read", t.patient.id)).map((e) => e.outcome)).toEqual(["success", "success", "denied"]);
  });

  it("never shows the patient a draft cancelled before signing, nor the physician's override reasoning", async () => {
    const t = await team();
    const draft = await create(t.doctor, t.patient.id);
    expect((await t.doctor.post(`/api/prescriptions/${draft.id}/cancel`)).status).toBe(200);
    const mine = await t.patientAgent.get(`/api/patients/${t.patient.id}/prescriptions`);
    expect(mine.body.prescriptions).toEqual([]);
    expect((await t.patientAgent.get(`/api/prescriptions/${draft.id}`)).status).toBe(404);
  });

  it("turns a patient's refill request into one care-team task", async () => {
    const t = await team();
    const p = await signed(t.doctor, t.patient.id);
    const first = await t.patientAgent.post(`/api/prescriptions/${p.id}/refill-request`);
    expect(first.status).toBe(201);
    expect(first.body.task).toMatchObject({ patientId: t.patient.id, kind: "refill_request", refId: p.id, status: "open" });
    const again = await t.patientAgent.post(`/api/prescriptions/${p.id}/refill-request`);
    expect(again.body.task.id).toBe(first.body.task.id);
    expect(await app.db.models.tasks.countDocuments({ refId: p.id })).toBe(1);
    expect((await auditFor("prescription:refill_request", t.patient.id))[0]).toMatchObject({ outcome: "success", resourceId: p.id });
  });

  it("refuses a refill request from anyone but the patient, for a draft (404) and a cancelled one (409)", async () => {
    const t = await team();
    const p = await signed(t.doctor, t.patient.id);
    expect((await t.doctor.post(`/api/prescriptions/${p.id}/refill-request`)).status).toBe(403);
    const stranger = await loginAgent(app, await makeUser(app, "patient"));
    expect((await stranger.post(`/api/prescriptions/${p.id}/refill-request`)).status).toBe(403);
    const draft = await create(t.doctor, t.patient.id);
    expect((await t.patientAgent.post(`/api/prescriptions/${draft.id}/refill-request`)).status).toBe(404);
    await act(t.doctor, p.id, "cancel");
    const res = await t.patientAgent.post(`/api/prescriptions/${p.id}/refill-request`);
    expect(res.status).toBe(409);
    expect(await app.db.models.tasks.countDocuments({ patientId: t.patient.id })).toBe(0);
  });
});
