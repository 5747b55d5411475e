import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, auditSettled, connectSocket, loginAgent, makeUser, nextEvent, type Person, startTestApp, type TestApp } from "../test/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastActivityAt: string | null;
  ip: string | null;
  userAgent: string | null;
}

const listOf = async (agent: Agent) => {
  const res = await agent.get("/api/auth/sessions");
  expect(res.status).toBe(200);
  return res.body.sessions as SessionView[];
};

/** The raw session id inside a signed cookie (`glp1.sid=s%3A<sid>.<sig>`). */
const sidOf = (agent: Agent) => decodeURIComponent(agent.cookie!.split("=")[1]!).slice(2).split(".")[0]!;

describe("GET /api/auth/sessions", () => {
  it("lists the caller's live sessions with opaque ids, marking the current one", async () => {
    const user = await makeUser(app, "patient");
    const a = await loginAgent(app, user);
    const b = new Agent(app.url);
    expect((await b.request("POST", "/api/auth/login", { email: user.email, password: user.password }, { "user-agent": "PhoneApp/1.0" })).status).toBe(200);
    const stranger = await loginAgent(app, await makeUser(app, "patient"));
    await stranger.get("/api/auth/me");

    const sessions = await listOf(a);
    expect(sessions).toHaveLength(2);
    const mine = sessions.find((s) => s.current)!;
    const other = sessions.find((s) => !s.current)!;
    expect(other.userAgent).toBe("PhoneApp/1.0");
    expect(mine.ip).toMatch(/127\.0\.0\.1/);
    for (const s of sessions) {
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(Date.parse(s.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(s.lastActivityAt).not.toBeNull();
    }
    // The handle is not the session id, and is not usable as a cookie.
    expect(mine.id).not.toBe(sidOf(a));
    expect(JSON.stringify(sessions)).not.toContain(sidOf(a));
    expect(JSON.stringify(sessions)).not.toContain(sidOf(b));
  });

  it("moves lastActivityAt on the user's own requests", async () => {
    const user = await makeUser(app, "patient");
    const a = await loginAgent(app, user);
    const before = (await listOf(a))[0]!.lastActivityAt!;
    await new Promise((r) => setTimeout(r, 30));
    await a.get("/api/auth/me");
    const after = (await listOf(a))[0]!.lastActivityAt!;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
  });
});

describe("ending sessions", () => {
  async function twoSessionsWithSocket(user: Person) {
    const here = await loginAgent(app, user);
    const there = await loginAgent(app, user);
    const socket = await connectSocket(app, there.cookie);
    return { here, there, socket };
  }

  it("DELETE /api/auth/sessions/:id ends that session and its sockets (session:expired)", async () => {
    const user = await makeUser(app, "patient");
    const { here, there, socket } = await twoSessionsWithSocket(user);
    const other = (await listOf(here)).find((s) => !s.current)!;
    const expired = nextEvent(socket, "session:expired");
    const gone = new Promise<void>((resolve) => socket.once("disconnect", () => resolve()));
    const res = await here.request("DELETE", `/api/auth/sessions/${other.id}`);
    expect(res.status).toBe(204);
    expect(await expired).toEqual({ reason: "ended_elsewhere" });
    await gone;
    expect((await there.get("/api/auth/me")).status).toBe(401);
    expect((await here.get("/api/auth/me")).status).toBe(200);
    expect(await listOf(here)).toHaveLength(1);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "auth:session_end", userId: user.id, resourceId: other.id, outcome: "success" })).toBe(1);
  });

  it("refuses another user's session handle and unknown handles with 404", async () => {
    const a = await loginAgent(app, await makeUser(app, "patient"));
    const b = await loginAgent(app, await makeUser(app, "patient"));
    const bHandle = (await listOf(b))[0]!.id;
    const res = await a.request("DELETE", `/api/auth/sessions/${bHandle}`);
    expect(res.status).toBe(404);
    expect((await b.get("/api/auth/me")).status).toBe(200);
    expect((await a.request("DELETE", "/api/auth/sessions/not-a-real-handle-000000")).status).toBe(404);
    expect((await a.request("DELETE", "/api/auth/sessions/bad$handle")).status).toBe(400);
  });

  it("DELETE /api/auth/sessions ends every other session and socket, and keeps this one", async () => {
    const user = await makeUser(app, "patient");
    const { here, there, socket } = await twoSessionsWithSocket(user);
    const third = await loginAgent(app, user);
    const expired = nextEvent(socket, "session:expired");
    const res = await here.request("DELETE", "/api/auth/sessions");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 2 });
    expect(await expired).toEqual({ reason: "ended_elsewhere" });
    expect((await there.get("/api/auth/me")).status).toBe(401);
    expect((await third.get("/api/auth/me")).status).toBe(401);
    expect((await here.get("/api/auth/me")).status).toBe(200);
  });

  it("a socket whose session another node ended is told the reason that node noted, not 'idle'", async () => {
    const user = await makeUser(app, "patient");
    const agent = await loginAgent(app, user);
    const socket = await connectSocket(app, agent.cookie);
    const expired = nextEvent(socket, "session:expired");
    // As if another node ended it and its push never reached this socket: only Redis knows.
    const [sid] = await app.sessions.sessionsOf(user.id);
    await app.sessions.end(sid!, "account_disabled");
    expect(await expired).toEqual({ reason: "account_disabled" });
    socket.close();
  });

  it("ending the current session by its handle signs this browser out", async () => {
    const a = await loginAgent(app, await makeUser(app, "patient"));
    const mine = (await listOf(a)).find((s) => s.current)!;
    expect((await a.request("DELETE", `/api/auth/sessions/${mine.id}`)).status).toBe(204);
    expect((await a.get("/api/auth/me")).status).toBe(401);
  });
});

describe("POST /api/auth/password", () => {
  it("needs the current password, then ends every other session and its sockets at once", async () => {
    const user = await makeUser(app, "patient");
    const { here, there, socket } = await (async () => {
      const h = await loginAgent(app, user);
      const t = await loginAgent(app, user);
      return { here: h, there: t, socket: await connectSocket(app, t.cookie) };
    })();
    const wrong = await here.post("/api/auth/password", { currentPassword: "not-my-password", newPassword: "a-brand-new-password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    expect((await there.get("/api/auth/me")).status).toBe(200);
    const short = await here.post("/api/auth/password", { currentPassword: user.password, newPassword: "short" });
    expect(short.status).toBe(400);

    const expired = nextEvent(socket, "session:expired");
    const ok = await here.post("/api/auth/password", { currentPassword: user.password, newPassword: "a-brand-new-password" });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ended: 1 });
    expect(await expired).toEqual({ reason: "password_changed" });
    expect((await there.get("/api/auth/me")).status).toBe(401);
    expect((await here.get("/api/auth/me")).status).toBe(200);
    expect((await new Agent(app.url).post("/api/auth/login", { email: user.email, password: user.password })).status).toBe(401);
    expect((await new Agent(app.url).post("/api/auth/login", { email: user.email, password: "a-brand-new-password" })).status).toBe(200);
    await auditSettled(app);
    const outcomes = (await app.db.models.audit.find({ action: "auth:password", userId: user.id }).lean()).map((e) => e.outcome).sort();
    expect(outcomes).toEqual(["failure", "failure", "success"]);
    expect(JSON.stringify(await app.db.models.audit.find({ action: "auth:password" }).lean())).not.toContain("a-brand-new-password");
  });
});

describe("POST /api/admin/users/:id/disable", () => {
  it("turns the account off and ends all its sessions and sockets at once; login then fails", async () => {
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    const user = await makeUser(app, "physician");
    const a = await loginAgent(app, user);
    const b = await loginAgent(app, user);
    const socket = await connectSocket(app, a.cookie);
    const expired = nextEvent(socket, "session:expired");

    const res = await admin.post(`/api/admin/users/${user.id}/disable`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: user.id, role: "physician", name: user.name, active: false }, ended: 2 });
    // Told why: not the idle-timeout message a disabled account used to see.
    expect(await expired).toEqual({ reason: "account_disabled" });
    expect((await a.get("/api/auth/me")).status).toBe(401);
    expect((await b.get("/api/auth/me")).status).toBe(401);
    const again = await new Agent(app.url).post("/api/auth/login", { email: user.email, password: user.password });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("INVALID_CREDENTIALS");
    await expect(connectSocket(app, a.cookie)).rejects.toThrow("UNAUTHENTICATED");
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "admin:disable_user", resourceId: user.id, outcome: "success" })).toBe(1);
  });

  it("is for admins only, and not for oneself", async () => {
    const target = await makeUser(app, "patient");
    const physician = await loginAgent(app, await makeUser(app, "physician"));
    const denied = await physician.post(`/api/admin/users/${target.id}/disable`);
    expect(denied.status).toBe(403);
    const adminPerson = await makeUser(app, "admin");
    const admin = await loginAgent(app, adminPerson);
    expect((await admin.post(`/api/admin/users/${adminPerson.id}/disable`)).status).toBe(409);
    expect((await admin.post("/api/admin/users/0123456789abcdef01234567/disable")).status).toBe(404);
    expect((await loginAgent(app, target).then((t) => t.get("/api/auth/me"))).status).toBe(200);
  });
});
