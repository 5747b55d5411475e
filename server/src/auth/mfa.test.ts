import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Agent,
  auditSettled,
  connectSocket,
  emitAck,
  enrollMfa,
  freshTotp,
  loginAgent,
  makeCareTeam,
  makeUser,
  nextEvent,
  startTestApp,
  type TestApp,
  totpCode,
} from "../test/harness.js";
import { timeStep, totpAt } from "./totp.js";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ MFA_REQUIRED_ROLES: "physician,admin" });
});
afterAll(() => app?.close());

const login = (body: Record<string, unknown>) => new Agent(app.url).post("/api/auth/login", body);

describe("MFA enrollment", () => {
  it("shows a secret and 10 recovery codes once, stores them sealed and hashed, and a first code activates it", async () => {
    const patient = await makeUser(app, "patient");
    const agent = await loginAgent(app, patient);
    const res = await agent.post("/api/auth/mfa/enroll");
    expect(res.status).toBe(200);
    const { secret, otpauthUrl, recoveryCodes } = res.body as { secret: string; otpauthUrl: string; recoveryCodes: string[] };
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/.+\?secret=[A-Z2-7]{32}&issuer=/);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(res.headers.get("cache-control")).toBe("no-store");

    const raw = await app.db.conn.db!.collection("users").findOne({ _id: (await app.db.models.users.findById(patient.id))!._id });
    const stored = JSON.stringify(raw);
    expect(stored).not.toContain(secret);
    for (const c of recoveryCodes) expect(stored).not.toContain(c.replace("-", ""));
    expect(raw!.mfaPending).toMatch(/^enc:v1:/);
    expect(raw!.mfaEnabled).toBe(false);

    // Not active yet: a password alone still signs in.
    expect((await login({ email: patient.email, password: patient.password })).status).toBe(200);

    const wrong = await agent.post("/api/auth/mfa/confirm", { totp: totpAt(secret, timeStep() + 5) });
    expect(wrong.status).toBe(400);
    const ok = await agent.post("/api/auth/mfa/confirm", { totp: totpCode(secret) });
    expect(ok.status).toBe(200);
    expect(ok.body.mfa).toEqual({ enrolled: true, verified: true, enrollmentRequired: false });
    const after = await app.db.conn.db!.collection("users").findOne({ _id: raw!._id });
    expect(after!.mfaEnabled).toBe(true);
    expect(after!.mfaSecret).toMatch(/^enc:v1:/);
    expect(after!.mfaPending).toBeNull();
    expect(after!.mfaRecovery).toHaveLength(10);

    // Enrolling again while active is refused (the second factor cannot be swapped quietly).
    expect((await agent.post("/api/auth/mfa/enroll")).status).toBe(409);
    await auditSettled(app);
    const reasons = (await app.db.models.audit.find({ action: "auth:mfa", userId: patient.id }).lean()).map((e) => `${e.reason}:${e.outcome}`);
    expect(reasons).toEqual(expect.arrayContaining(["ENROLL:success", "CONFIRM:failure", "CONFIRM:success"]));
  });

  it("confirming MFA ends the account's other (password-only) sessions", async () => {
    const patient = await makeUser(app, "patient");
    const other = await loginAgent(app, patient);
    const agent = await loginAgent(app, patient);
    const { secret } = (await agent.post("/api/auth/mfa/enroll")).body as { secret: string };
    expect((await agent.post("/api/auth/mfa/confirm", { totp: totpCode(secret) })).status).toBe(200);
    expect((await other.get("/api/auth/me")).status).toBe(401);
    expect((await agent.get("/api/auth/me")).status).toBe(200);
  });
});

describe("login with MFA", () => {
  it("answers a correct password without a code with 401 MFA_REQUIRED, and a wrong password like an unknown email", async () => {
    const who = await enrollMfa(app, await makeUser(app, "patient"));
    const noCode = await login({ email: who.email, password: who.password });
    expect(noCode.status).toBe(401);
    expect(noCode.body.error.code).toBe("MFA_REQUIRED");
    expect(noCode.setCookie).toEqual([]);

    const wrongPw = await login({ email: who.email, password: "wrong-password-x" });
    const unknown = await login({ email: "nobody-mfa@example.test", password: "wrong-password-x" });
    expect(wrongPw.status).toBe(401);
    expect(wrongPw.body).toEqual(unknown.body);
    expect(wrongPw.body.error.code).toBe("INVALID_CREDENTIALS");
    // A wrong password with a right code is still just INVALID_CREDENTIALS.
    const wrongPwCode = await login({ email: who.email, password: "wrong-password-x", totp: totpCode(who.totpSecret!) });
    expect(wrongPwCode.body).toEqual(unknown.body);

    const ok = await login({ email: who.email, password: who.password, totp: await freshTotp(who) });
    expect(ok.status).toBe(200);
    expect(ok.body.mfa).toEqual({ enrolled: true, verified: true, enrollmentRequired: false });
  });

  it("refuses a replayed code, and any code of an earlier step", async () => {
    const who = await enrollMfa(app, await makeUser(app, "patient"));
    const step = timeStep();
    const code = totpAt(who.totpSecret!, step);
    expect((await login({ email: who.email, password: who.password, totp: code })).status).toBe(200);
    const replay = await login({ email: who.email, password: who.password, totp: code });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("INVALID_CREDENTIALS");
    const earlier = await login({ email: who.email, password: who.password, totp: totpAt(who.totpSecret!, step - 1) });
    expect(earlier.status).toBe(401);
    // The next step is still good (inside the ±1 window).
    expect((await login({ email: who.email, password: who.password, totp: totpAt(who.totpSecret!, step + 1) })).status).toBe(200);
  });

  it("accepts each recovery code once, in any case and spacing", async () => {
    const who = await enrollMfa(app, await makeUser(app, "patient"));
    const [first, second] = who.recoveryCodes!;
    const ok = await login({ email: who.email, password: who.password, recoveryCode: first!.toUpperCase() });
    expect(ok.status).toBe(200);
    const again = await login({ email: who.email, password: who.password, recoveryCode: first });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("INVALID_CREDENTIALS");
    expect((await login({ email: who.email, password: who.password, recoveryCode: ` ${second!.replace("-", " ")} ` })).status).toBe(200);
    const left = await app.db.models.users.findById(who.id);
    expect(left!.mfaRecovery).toHaveLength(8);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "auth:login", userId: who.id, reason: "RECOVERY_CODE", outcome: "success" })).toBe(2);
  });

  it("two concurrent logins with the same code: exactly one succeeds", async () => {
    const who = await enrollMfa(app, await makeUser(app, "patient"));
    const code = await freshTotp(who);
    const results = await Promise.all([1, 2, 3].map(() => login({ email: who.email, password: who.password, totp: code })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });
});

describe("password-only staff sessions", () => {
  it("a physician without MFA may only set it up: PHI routes and socket events answer MFA_ENROLLMENT_REQUIRED", async () => {
    const team = await makeCareTeam(app);
    const agent = new Agent(app.url);
    const res = await agent.post("/api/auth/login", { email: team.physician.email, password: team.physician.password });
    expect(res.status).toBe(200);
    expect(res.body.mfa).toEqual({ enrolled: false, verified: false, enrollmentRequired: true });

    for (const url of ["/api/conversations", `/api/patients/${team.patient.id}/metrics`, `/api/conversations/${team.conversationId}/messages`, "/api/auth/sessions"]) {
      const r = await agent.get(url);
      expect(r.status, url).toBe(403);
      expect(r.body.error.code, url).toBe("MFA_ENROLLMENT_REQUIRED");
    }
    expect((await agent.get("/api/auth/me")).status).toBe(200);
    expect((await agent.post("/api/auth/keepalive")).status).toBe(200);

    const socket = await connectSocket(app, agent.cookie);
    try {
      const denied = await emitAck(socket, "chat:join", { conversationId: team.conversationId });
      expect(denied).toEqual({ ok: false, error: { code: "MFA_ENROLLMENT_REQUIRED", message: expect.any(String) } });
      // No pushes to a password-only session: a message from the patient does not arrive.
      const patientSocket = await connectSocket(app, (await loginAgent(app, team.patient)).cookie);
      const pushed = nextEvent(socket, "chat:message", 800).then(
        () => "pushed",
        () => "none",
      );
      const sent = await emitAck(patientSocket, "chat:send", { conversationId: team.conversationId, body: "hello doctor", clientId: "mfa-gate-test-1" });
      expect(sent.ok).toBe(true);
      expect(await pushed).toBe("none");

      // Setting up MFA in this very session opens the clinic to it, sockets included.
      const { secret } = (await agent.post("/api/auth/mfa/enroll")).body as { secret: string };
      expect((await agent.post("/api/auth/mfa/confirm", { totp: totpCode(secret) })).status).toBe(200);
      expect((await agent.get("/api/conversations")).status).toBe(200);
      const typing = await emitAck(socket, "chat:typing", { conversationId: team.conversationId });
      expect(typing.ok).toBe(true);
      // …and its pushes now arrive (the socket joined its user room with that first event).
      const arrives = nextEvent(socket, "chat:message", 3000);
      await emitAck(patientSocket, "chat:send", { conversationId: team.conversationId, body: "hello again", clientId: "mfa-gate-test-2" });
      await arrives;
      patientSocket.close();
    } finally {
      socket.close();
    }
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ userId: team.physician.id, reason: "MFA_ENROLLMENT_REQUIRED", outcome: "denied" })).toBeGreaterThanOrEqual(5);
  });

  it("an admin without MFA is gated too; patients are not", async () => {
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    const audit = await admin.get("/api/audit");
    expect(audit.status).toBe(403);
    expect(audit.body.error.code).toBe("MFA_ENROLLMENT_REQUIRED");
    const patient = await loginAgent(app, await makeUser(app, "patient"));
    expect((await patient.get("/api/conversations")).status).toBe(200);
  });

  it("a physician with MFA signs in with a code and reaches PHI", async () => {
    const physician = await enrollMfa(app, await makeUser(app, "physician"));
    const agent = await loginAgent(app, physician);
    expect((await agent.get("/api/conversations")).status).toBe(200);
  });
});

describe("regenerating recovery codes", () => {
  /** Sign in with a recovery code, keeping the TOTP steps for the test itself. */
  const loginWithRecovery = async (who: { email: string; password: string }, recoveryCode: string) => {
    const agent = new Agent(app.url);
    const res = await agent.post("/api/auth/login", { email: who.email, password: who.password, recoveryCode });
    if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
    return agent;
  };

  it("shows 10 new codes once against a current code; the old ones stop working and the new ones work once", async () => {
    const who = await enrollMfa(app, await makeUser(app, "patient"));
    const [first, second, third] = who.recoveryCodes!;
    const agent = await loginWithRecovery(who, first!);
    const res = await agent.post("/api/auth/mfa/recovery-codes", { totp: await freshTotp(who) });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const codes = res.body.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    expect(codes).not.toContain(second);

    // Stored as keyed hashes only.
    const raw = await app.db.conn.db!.collection("users").findOne({ _id: (await app.db.models.users.findById(who.id))!._id });
    const stored = JSON.stringify(raw);
    for (const c of codes) expect(stored).not.toContain(c.replace("-", ""));
    expect(raw!.mfaRecovery).toHaveLength(10);

    expect((await login({ email: who.email, password: who.password, recoveryCode: second })).status).toBe(401);
    expect((await login({ email: who.email, password: who.password, recoveryCode: third })).status).toBe(401);
    expect((await login({ email: who.email, password: who.password, recoveryCode: codes[0] })).status).toBe(200);
    expect((await login({ email: who.email, password: who.password, recoveryCode: codes[0] })).status).toBe(401);
    // The session that asked is still signed in.
    expect((await agent.get("/api/auth/me")).status).toBe(200);
    await auditSettled(app);
    const entry = await app.db.models.audit.findOne({ action: "auth:mfa", userId: who.id, reason: "RECOVERY_CODES", outcome: "success" }).lean();
    expect(entry).toBeTruthy();
    const text = JSON.stringify(entry) + app.logs.join("\n");
    for (const c of codes) expect(text).not.toContain(c);
  });

  it("refuses a wrong, malformed, missing or replayed code, changing nothing", async () => {
    const who = await enrollMfa(app, await makeUser(app, "patient"));
    const agent = await loginWithRecovery(who, who.recoveryCodes![0]!);
    const before = (await app.db.models.users.findById(who.id))!.mfaRecovery;
    const wrong = await agent.post("/api/auth/mfa/recovery-codes", { totp: totpAt(who.totpSecret!, timeStep() + 5) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: "VALIDATION_FAILED", fields: ["totp"] });
    for (const body of [{}, { totp: "12345" }, { totp: await freshTotp(who), recoveryCode: who.recoveryCodes![1] }]) {
      expect((await agent.post("/api/auth/mfa/recovery-codes", body)).status, JSON.stringify(body)).toBe(400);
    }
    const code = await freshTotp(who);
    expect((await agent.post("/api/auth/mfa/recovery-codes", { totp: code })).status).toBe(200);
    const replay = await agent.post("/api/auth/mfa/recovery-codes", { totp: code });
    expect(replay.status).toBe(400);
    const after = (await app.db.models.users.findById(who.id))!.mfaRecovery;
    expect(after).toHaveLength(10);
    expect(after).not.toEqual(before);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "auth:mfa", userId: who.id, reason: "RECOVERY_CODES", outcome: "failure" })).toBe(5);
  });

  it("is for signed-in accounts with MFA active only", async () => {
    const plain = await loginAgent(app, await makeUser(app, "patient"));
    const res = await plain.post("/api/auth/mfa/recovery-codes", { totp: "123456" });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("CONFLICT");
    expect((await new Agent(app.url).post("/api/auth/mfa/recovery-codes", { totp: "123456" })).status).toBe(401);
  });
});
