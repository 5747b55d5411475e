import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, loginAgent, makeUser, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
let adminAgent: Agent;
beforeAll(async () => {
  app = await startTestApp();
  adminAgent = await loginAgent(app, await makeUser(app, "admin"));
});
afterAll(() => app?.close());

describe("admin accounts and care teams", () => {
  it("creates an account of any role, which can then sign in", async () => {
    const res = await adminAgent.post("/api/admin/users", { role: "physician", email: "dr.new@example.test", password: "a-long-password", name: "Dr New" });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ role: "physician", name: "Dr New" });
    const login = await new Agent(app.url).post("/api/auth/login", { email: "dr.new@example.test", password: "a-long-password" });
    expect(login.body.user.id).toBe(res.body.user.id);
    const dup = await adminAgent.post("/api/admin/users", { role: "support", email: "DR.NEW@example.test", password: "a-long-password", name: "Dup" });
    expect(dup.status).toBe(409);
  });

  it("refuses non-admins, and refuses a bad role", async () => {
    const physician = await loginAgent(app, await makeUser(app, "physician"));
    const denied = await physician.post("/api/admin/users", { role: "admin", email: "x@example.test", password: "a-long-password", name: "X" });
    expect(denied.status).toBe(403);
    const bad = await adminAgent.post("/api/admin/users", { role: "superuser", email: "y@example.test", password: "a-long-password", name: "Y" });
    expect(bad.status).toBe(400);
    expect(await app.db.models.users.countDocuments({ emailIndex: app.services.auth.emailIndex("x@example.test") })).toBe(0);
  });

  it("sets a care team and opens one conversation per physician, idempotently", async () => {
    const patient = await makeUser(app, "patient");
    const [a, b] = [await makeUser(app, "physician"), await makeUser(app, "physician")];
    const body = { patientId: patient.id, physicianIds: [a.id, b.id] };
    const first = await adminAgent.post("/api/admin/care-teams", body);
    expect(first.status).toBe(200);
    expect(first.body.careTeam.conversationIds).toHaveLength(2);
    const again = await adminAgent.post("/api/admin/care-teams", body);
    expect(again.body.careTeam.conversationIds).toEqual(first.body.careTeam.conversationIds);
    expect(await app.db.models.conversations.countDocuments({ patientId: patient.id })).toBe(2);
    const patientAgent = await loginAgent(app, patient);
    expect((await patientAgent.get("/api/conversations")).body.conversations).toHaveLength(2);
  });

  it("refuses a care team whose ids name the wrong kinds of account, changing nothing", async () => {
    const patient = await makeUser(app, "patient");
    const notPhysician = await makeUser(app, "support");
    const res = await adminAgent.post("/api/admin/care-teams", { patientId: patient.id, physicianIds: [notPhysician.id] });
    expect(res.status).toBe(400);
    expect(await app.db.models.careTeams.countDocuments({ patientId: patient.id })).toBe(0);
    expect(await app.db.models.conversations.countDocuments({ patientId: patient.id })).toBe(0);
  });
});
