import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, auditSettled, connectSocket, enrollMfa, loginAgent, makeUser, nextEvent, startTestApp, type TestApp, totpCode } from "../../test/harness.js";

let app: TestApp;
let adminAgent: Agent;
let adminId: string;
beforeAll(async () => {
  app = await startTestApp({ MFA_REQUIRED_ROLES: "physician,admin" });
  const admin = await enrollMfa(app, await makeUser(app, "admin"));
  adminId = admin.id;
  adminAgent = await loginAgent(app, admin);
});
afterAll(() => app?.close());

const reset = (id: string, body: unknown = { reason: "LOST_DEVICE" }, agent = adminAgent) => agent.post(`/api/admin/users/${id}/mfa/reset`, body);
const rawUser = (id: string) => app.db.conn.db!.collection("users").findOne({ _id: new Types.ObjectId(id) });

describe("admin MFA reset", () => {
  it("clears a physician's MFA, ends their sessions and sockets at once, and sends them back to enrollment", async () => {
    const physician = await enrollMfa(app, await makeUser(app, "physician"));
    const agent = await loginAgent(app, physician);
    const socket = await connectSocket(app, agent.cookie);
    const expired = nextEvent(socket, "session:expired");
    const gone = new Promise<void>((resolve) => socket.once("disconnect", () => resolve()));

    const res = await reset(physician.id, { reason: "LOST_DEVICE" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: physician.id, role: "physician", name: physician.name, mfaEnrolled: false }, wasEnrolled: true, ended: 1 });
    expect(await expired).toEqual({ reason: "mfa_reset" });
    await gone;
    expect((await agent.get("/api/auth/me")).status).toBe(401);

    const raw = await rawUser(physician.id);
    expect(raw).toMatchObject({ mfaEnabled: false, mfaSecret: null, mfaPending: null, mfaRecovery: [], mfaPendingRecovery: [], mfaEnabledAt: null });

    // A password alone signs in again, but the gate holds the session until MFA is set up anew.
    const again = new Agent(app.url);
    const login = await again.post("/api/auth/login", { email: physician.email, password: physician.password });
    expect(login.status).toBe(200);
    expect(login.body.mfa).toEqual({ enrolled: false, verified: false, enrollmentRequired: true });
    const gated = await again.get("/api/conversations");
    expect(gated.status).toBe(403);
    expect(gated.body.error.code).toBe("MFA_ENROLLMENT_REQUIRED");
    // The old secret is gone: a fresh enrollment has a new one, and a code of the old one does not confirm it.
    const enroll = await again.post("/api/auth/mfa/enroll");
    expect(enroll.status).toBe(200);
    expect(enroll.body.secret).not.toBe(physician.totpSecret);
    expect((await again.post("/api/auth/mfa/confirm", { totp: totpCode(physician.totpSecret!) })).status).toBe(400);
    expect((await again.post("/api/auth/mfa/confirm", { totp: totpCode(enroll.body.secret as string, Date.now() + 30_000) })).status).toBe(200);
    expect((await again.get("/api/conversations")).status).toBe(200);
  });

  it("audits the reset with its reason code and the account, and no secret", async () => {
    const patient = await enrollMfa(app, await makeUser(app, "patient"));
    const res = await reset(patient.id, { reason: "SUSPECTED_COMPROMISE" });
    expect(res.body).toMatchObject({ wasEnrolled: true, ended: 0 });
    // The old recovery codes went with the secret: with MFA off they are simply not asked for,
    // and after a new enrollment they are not among the stored hashes.
    expect((await rawUser(patient.id))!.mfaRecovery).toEqual([]);
    await auditSettled(app);
    const entry = await app.db.models.audit.findOne({ action: "admin:mfa_reset", resourceId: patient.id }).lean();
    expect(entry).toMatchObject({ outcome: "success", reason: "SUSPECTED_COMPROMISE", resource: "user", role: "admin" });
    expect(String(entry!.userId)).toBe(adminId);
    expect(String(entry!.patientId)).toBe(patient.id);
    const text = JSON.stringify(entry) + app.logs.join("\n");
    expect(text).not.toContain(patient.totpSecret!);
    for (const c of patient.recoveryCodes!) expect(text).not.toContain(c);
  });

  it("refuses bad input, unknown accounts, itself and non-admins, changing nothing", async () => {
    const physician = await enrollMfa(app, await makeUser(app, "physician"));
    for (const body of [{}, { reason: "because" }, { reason: "LOST_DEVICE", note: "free text" }]) {
      const r = await reset(physician.id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await reset("not-an-id")).status).toBe(400);
    expect((await reset(new Types.ObjectId().toHexString())).status).toBe(404);
    expect((await reset(adminId)).status).toBe(409);
    const support = await loginAgent(app, await makeUser(app, "support"));
    expect((await reset(physician.id, { reason: "LOST_DEVICE" }, support)).status).toBe(403);
    expect((await rawUser(physician.id))!.mfaEnabled).toBe(true);
    expect((await rawUser(adminId))!.mfaEnabled).toBe(true);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "admin:mfa_reset", resourceId: physician.id, outcome: "denied" })).toBe(1);
    expect(await app.db.models.audit.countDocuments({ action: "admin:mfa_reset", resourceId: physician.id, outcome: "success" })).toBe(0);
  });
});
