import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, auditSettled, connectSocket, loginAgent, makeUser, nextEvent, type Person, sleep, startTestApp, type TestApp } from "../test/harness.js";

let app: TestApp;
let patient: Person;

beforeAll(async () => {
  app = await startTestApp();
  patient = await makeUser(app, "patient");
});
afterAll(() => app?.close());

describe("login", () => {
  it("answers 200 with the user and an HttpOnly SameSite cookie", async () => {
    const agent = new Agent(app.url);
    const res = await agent.post("/api/auth/login", { email: patient.email, password: patient.password });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: patient.id, role: "patient", name: patient.name });
    const cookie = res.setCookie.join(";");
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await agent.get("/api/auth/me")).body.user.id).toBe(patient.id);
  });

  it("answers unknown email and wrong password identically", async () => {
    const a = await new Agent(app.url).post("/api/auth/login", { email: "nobody@example.test", password: "whatever-password" });
    const b = await new Agent(app.url).post("/api/auth/login", { email: patient.email, password: "wrong-password-here" });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body).toEqual(b.body);
    expect(a.body.error.code).toBe("INVALID_CREDENTIALS");
  });

  it("matches the email case-insensitively", async () => {
    const res = await new Agent(app.url).post("/api/auth/login", { email: patient.email.toUpperCase(), password: patient.password });
    expect(res.status).toBe(200);
  });

  it("regenerates the session id at login (no fixation)", async () => {
    const agent = await loginAgent(app, patient);
    const before = agent.cookie;
    await agent.post("/api/auth/login", { email: patient.email, password: patient.password });
    expect(agent.cookie).not.toBe(before);
    const stale = new Agent(app.url);
    stale.cookie = before;
    expect((await stale.get("/api/auth/me")).status).toBe(401);
  });

  it("refuses a password over bcrypt's 72 bytes instead of truncating it", async () => {
    const long = "a".repeat(72);
    const user = await makeUser(app, "patient", { password: long });
    const res = await new Agent(app.url).post("/api/auth/login", { email: user.email, password: `${long}EXTRA` });
    expect(res.status).toBe(400);
    expect((await new Agent(app.url).post("/api/auth/login", { email: user.email, password: long })).status).toBe(200);
  });

  it.each([
    ["an operator object as email", { email: { $gt: "" }, password: "x" }],
    ["an operator object as password", { email: "a@b.test", password: { $ne: null } }],
    ["an extra field", { email: "a@b.test", password: "x", role: "admin" }],
    ["a missing password", { email: "a@b.test" }],
  ])("answers 400 VALIDATION_FAILED to %s", async (_name, body) => {
    const res = await new Agent(app.url).post("/api/auth/login", body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.setCookie).toEqual([]);
  });

  it("answers 400 to malformed JSON and 413 to an oversize body", async () => {
    const bad = await new Agent(app.url).request("POST", "/api/auth/login", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("BAD_REQUEST");
    const big = await new Agent(app.url).post("/api/auth/login", { email: "a@b.test", password: "x".repeat(100_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("audits failed and successful logins with the account id and no email", async () => {
    await new Agent(app.url).post("/api/auth/login", { email: patient.email, password: "definitely-wrong" });
    await loginAgent(app, patient);
    await auditSettled(app);
    const entries = await app.db.models.audit.find({ action: "auth:login", userId: patient.id }).lean();
    const outcomes = entries.map((e) => e.outcome);
    expect(outcomes).toContain("failure");
    expect(outcomes).toContain("success");
    const raw = JSON.stringify(entries);
    expect(raw).not.toContain(patient.email);
    expect(entries.every((e) => e.ip && e.userAgent !== undefined)).toBe(true);
  });
});

describe("logout", () => {
  it("ends the session; the old cookie replayed is refused", async () => {
    const agent = await loginAgent(app, patient);
    const cookie = agent.cookie;
    expect((await agent.post("/api/auth/logout")).status).toBe(204);
    const replay = new Agent(app.url);
    replay.cookie = cookie;
    const me = await replay.get("/api/auth/me");
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe("UNAUTHENTICATED");
  });
});

describe("register", () => {
  it("creates a patient and answers a taken email exactly the same way", async () => {
    const email = `new-${Date.now()}@example.test`;
    const first = await new Agent(app.url).post("/api/auth/register", { email, password: "a-long-password", name: "New Person" });
    const again = await new Agent(app.url).post("/api/auth/register", { email, password: "another-password", name: "New Person" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(Object.keys(again.body.user).sort()).toEqual(Object.keys(first.body.user).sort());
    expect(first.body.user.role).toBe("patient");
    const idx = app.services.auth.emailIndex(email);
    expect(await app.db.models.users.countDocuments({ emailIndex: idx })).toBe(1);
    // The first password still works; the second did not overwrite it.
    expect((await new Agent(app.url).post("/api/auth/login", { email, password: "a-long-password" })).status).toBe(200);
    expect((await new Agent(app.url).post("/api/auth/login", { email, password: "another-password" })).status).toBe(401);
  });

  it("refuses names with control or text-direction characters (on-screen spoofing)", async () => {
    for (const name of ["Bob\u202Eevil", "Line\nbreak", "Zero\u0000"]) {
      const res = await new Agent(app.url).post("/api/auth/register", { email: `spoof${name.length}@example.test`, password: "a-long-password", name });
      expect(res.status).toBe(400);
      expect(res.body.error.fields).toEqual(["name"]);
    }
  });

  it("refuses a role in the body (no mass assignment)", async () => {
    const res = await new Agent(app.url).post("/api/auth/register", { email: "x@example.test", password: "a-long-password", name: "X", role: "admin" });
    expect(res.status).toBe(400);
  });
});

describe("cross-site writes", () => {
  it("refuses a POST whose Origin is not ours", async () => {
    const res = await new Agent(app.url).request("POST", "/api/auth/login", { email: patient.email, password: patient.password }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.setCookie).toEqual([]);
  });
});

describe("idle timeout", () => {
  it("ends a session left idle past the timeout, and activity renews it", async () => {
    const short = await startTestApp({ SESSION_IDLE_MINUTES: String(3 / 60) });
    try {
      const u = await makeUser(short, "patient");
      const active = await loginAgent(short, u);
      const idle = await loginAgent(short, u);
      for (let i = 0; i < 4; i++) {
        await sleep(1000);
        expect((await active.get("/api/auth/me")).status).toBe(200);
      }
      // 4 s have passed: the idle session (3 s timeout) is gone, the active one is not.
      expect((await idle.get("/api/auth/me")).status).toBe(401);
      expect((await active.get("/api/auth/me")).status).toBe(200);
    } finally {
      await short.close();
    }
  });

  it("ends a session at its absolute lifetime even when active", async () => {
    const short = await startTestApp({ SESSION_ABSOLUTE_HOURS: String(1.2 / 3600) });
    try {
      const u = await makeUser(short, "patient");
      const agent = await loginAgent(short, u);
      const socket = await connectSocket(short, agent.cookie);
      const expired = nextEvent(socket, "session:expired", 5000);
      await sleep(500);
      expect((await agent.get("/api/auth/me")).status).toBe(200);
      await sleep(900);
      expect((await agent.get("/api/auth/me")).status).toBe(401);
      // The socket is told it was the time limit, not inactivity (the user was active).
      expect(await expired).toEqual({ reason: "absolute_limit" });
      socket.close();
    } finally {
      await short.close();
    }
  });
});
