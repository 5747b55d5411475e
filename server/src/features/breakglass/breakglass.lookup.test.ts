import { randomBytes } from "node:crypto";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, auditSettled, loginAgent, makeUser, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
let doctor: Agent;
let doctorId: string;
beforeAll(async () => {
  app = await startTestApp();
  const physician = await makeUser(app, "physician");
  doctorId = physician.id;
  doctor = await loginAgent(app, physician);
});
afterAll(() => app?.close());

/** A surname no other test uses (letters only, so it is one word). */
const surname = () => `Zq${randomBytes(4).toString("hex").replace(/\d/g, (d) => "abcdefghij"[Number(d)]!)}`;
const lookup = (q: unknown, agent = doctor) => agent.post("/api/breakglass/patients/search", q === undefined ? {} : { q });
const REASON = "Patient in ED, unconscious; care team unreachable after hours";

describe("break-glass patient lookup", () => {
  it("finds active patients by full name (any case, spacing or accents) with id and name only; never by part of a name", async () => {
    const s = surname();
    const a = await makeUser(app, "patient", { name: `María ${s}` });
    const b = await makeUser(app, "patient", { name: `Maria ${s}` });
    await makeUser(app, "patient", { name: `Mario ${s}` });
    await makeUser(app, "physician", { name: `Maria ${s}` });
    const off = await makeUser(app, "patient", { name: `Maria ${s}` });
    await app.services.auth.setActive(off.id, false);

    const res = await lookup(`  maria   ${s.toUpperCase()} `);
    expect(res.status).toBe(200);
    expect(res.body.patients.map((p: { id: string }) => p.id).sort()).toEqual([a.id, b.id].sort());
    for (const p of res.body.patients) expect(Object.keys(p).sort()).toEqual(["id", "name"]);

    for (const partial of ["Maria", s, `Mari ${s}`, `Maria ${s.slice(0, -1)}`]) {
      expect((await lookup(partial)).body.patients, partial).toEqual([]);
    }
  });

  it("finds a patient by exact email or record id, and the id found opens break-glass", async () => {
    const patient = await makeUser(app, "patient", { name: `Ann ${surname()}` });
    const byEmail = await lookup(patient.email.toUpperCase());
    expect(byEmail.body.patients).toEqual([{ id: patient.id, name: patient.name }]);
    expect((await lookup(patient.email.replace("@", "x@"))).body.patients).toEqual([]);
    expect((await lookup(patient.id)).body.patients).toEqual([{ id: patient.id, name: patient.name }]);
    // Staff accounts are never found, whatever is typed.
    const staff = await makeUser(app, "support");
    expect((await lookup(staff.email)).body.patients).toEqual([]);
    expect((await lookup(staff.id)).body.patients).toEqual([]);

    const granted = await doctor.post(`/api/patients/${byEmail.body.patients[0].id}/break-glass`, { reason: REASON });
    expect(granted.status).toBe(200);
  });

  it("is for physicians only, and refuses bad input with 400", async () => {
    for (const role of ["patient", "support", "admin"] as const) {
      const agent = await loginAgent(app, await makeUser(app, role));
      expect((await lookup("Ann Example", agent)).status, role).toBe(403);
    }
    expect((await new Agent(app.url).post("/api/breakglass/patients/search", { q: "Ann Example" })).status).toBe(401);
    for (const q of [undefined, "", "   ", "x".repeat(255), 12, "half@", "a\u202eb"]) {
      const res = await lookup(q);
      expect(res.status, String(q)).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await doctor.post("/api/breakglass/patients/search", { q: "Ann Example", role: "patient" })).status).toBe(400);
  });

  it("audits the search against each patient it names, without the search text in the trail or the logs", async () => {
    const s = surname();
    const [a, b] = [await makeUser(app, "patient", { name: `Lea ${s}` }), await makeUser(app, "patient", { name: `Lea ${s}` })];
    const single = await makeUser(app, "patient", { name: `Noor ${surname()}` });
    expect((await lookup(`Lea ${s}`)).body.patients).toHaveLength(2);
    expect((await lookup(single.email)).body.patients).toHaveLength(1);
    expect((await lookup(`Nobody ${s}`)).body.patients).toHaveLength(0);
    await auditSettled(app);
    const mine = await app.db.models.audit.find({ action: "patient:search", userId: new Types.ObjectId(doctorId) }).lean();
    const results = mine.filter((e) => e.reason === "SEARCH_RESULT").map((e) => String(e.patientId));
    expect(results).toEqual(expect.arrayContaining([a.id, b.id]));
    const byEmail = mine.find((e) => e.reason === "BY_EMAIL" && e.resourceId === single.id);
    expect(String(byEmail?.patientId)).toBe(single.id);
    expect(mine.filter((e) => e.reason === "BY_NAME" && e.outcome === "success").length).toBeGreaterThanOrEqual(2);
    // It shows in the patient's accounting of disclosures.
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    const export_ = await admin.get(`/api/admin/patients/${a.id}/disclosures?format=fhir`);
    expect(export_.status).toBe(200);
    expect(JSON.stringify(export_.body)).toContain(doctorId);
    const trail = JSON.stringify(mine) + app.logs.join("\n");
    for (const phi of [s, s.toLowerCase(), single.email]) expect(trail).not.toContain(phi);
  });
});
