import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, auditSettled, connectSocket, emitAck, enrollMfa, freshTotp, makeUser, sleep, startTestApp, type TestApp } from "../test/harness.js";

const login = (app: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  new Agent(app.url).request("POST", "/api/auth/login", body, headers);

describe("login lockout per account", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ LOGIN_MAX_FAILURES: "3", LOGIN_LOCKOUT_SECONDS: "1.5" });
  });
  afterAll(() => app?.close());

  it("after N failures a real account and an unknown email answer identically, even to the right password", async () => {
    const user = await makeUser(app, "patient");
    const ghost = "ghost-lockout@example.test";
    const answers = { known: [] as unknown[], unknown: [] as unknown[] };
    for (let i = 0; i < 3; i++) {
      const k = await login(app, { email: user.email, password: `wrong-${i}-password` });
      const u = await login(app, { email: ghost, password: `wrong-${i}-password` });
      answers.known.push([k.status, k.body]);
      answers.unknown.push([u.status, u.body]);
    }
    expect(answers.known).toEqual(answers.unknown);
    // Locked: the right password gets the very same answer as a wrong one, and as the locked unknown email.
    const right = await login(app, { email: user.email, password: user.password });
    const ghostAgain = await login(app, { email: ghost, password: "whatever-password" });
    expect(right.status).toBe(401);
    expect(right.body).toEqual({ error: { code: "INVALID_CREDENTIALS", message: expect.any(String) } });
    expect(right.body).toEqual(ghostAgain.body);
    expect(right.setCookie).toEqual([]);
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "auth:login", userId: user.id, reason: "LOCKED_OUT" })).toBe(1);

    // After the cool-down the right password works again.
    await sleep(1600);
    expect((await login(app, { email: user.email, password: user.password })).status).toBe(200);
  });

  it("a locked MFA account never answers MFA_REQUIRED, so the lockout does not leak a right password", async () => {
    const user = await enrollMfa(app, await makeUser(app, "physician"));
    for (let i = 0; i < 3; i++) await login(app, { email: user.email, password: `wrong-${i}-password` });
    const noCode = await login(app, { email: user.email, password: user.password });
    expect(noCode.body.error.code).toBe("INVALID_CREDENTIALS");
    const withCode = await login(app, { email: user.email, password: user.password, totp: await freshTotp(user) });
    expect(withCode.body.error.code).toBe("INVALID_CREDENTIALS");
  });

  it("wrong TOTP codes count toward the lockout", async () => {
    const user = await enrollMfa(app, await makeUser(app, "patient"));
    for (let i = 0; i < 3; i++) {
      const r = await login(app, { email: user.email, password: user.password, totp: "000000" });
      expect(r.body.error.code).toBe("INVALID_CREDENTIALS");
    }
    expect((await login(app, { email: user.email, password: user.password, totp: await freshTotp(user) })).status).toBe(401);
  });

  it("a success resets the failure count", async () => {
    const user = await makeUser(app, "patient");
    for (let round = 0; round < 3; round++) {
      await login(app, { email: user.email, password: "wrong-password-1" });
      await login(app, { email: user.email, password: "wrong-password-2" });
      expect((await login(app, { email: user.email, password: user.password })).status).toBe(200);
    }
  });
});

describe("login and registration limits per client IP", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ LOGIN_MAX_FAILURES_PER_IP: "4", REGISTER_MAX_PER_IP: "2" });
  });
  afterAll(() => app?.close());

  it("after N failures from one IP every login from it gets 429, whichever X-Forwarded-For it claims (TRUST_PROXY off)", async () => {
    const user = await makeUser(app, "patient");
    for (let i = 0; i < 4; i++) {
      const r = await login(app, { email: `spray-${i}@example.test`, password: "password-guess" }, { "x-forwarded-for": `203.0.113.${i}` });
      expect(r.status).toBe(401);
    }
    for (const xff of ["198.51.100.7", "198.51.100.8, 10.0.0.1"]) {
      const r = await login(app, { email: user.email, password: user.password }, { "x-forwarded-for": xff });
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe("RATE_LIMITED");
    }
    await auditSettled(app);
    const ips = new Set((await app.db.models.audit.find({ action: "auth:login" }).lean()).map((e) => e.ip));
    expect([...ips].every((ip) => /127\.0\.0\.1/.test(ip ?? ""))).toBe(true);
  });

  it("limits registrations per IP", async () => {
    const reg = (i: number) => new Agent(app.url).post("/api/auth/register", { email: `reg-${i}-${Date.now()}@example.test`, password: "a-long-password", name: "R" });
    expect((await reg(1)).status).toBe(201);
    expect((await reg(2)).status).toBe(201);
    const third = await reg(3);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe("RATE_LIMITED");
  });
});

describe("TRUST_PROXY set to a hop count", () => {
  it("takes the address the trusted proxy saw, not what the client wrote further left", async () => {
    const app = await startTestApp({ TRUST_PROXY: "1" });
    try {
      const user = await makeUser(app, "patient");
      const res = await login(app, { email: user.email, password: user.password }, { "x-forwarded-for": "6.6.6.6, 198.51.100.20" });
      expect(res.status).toBe(200);
      await auditSettled(app);
      const entry = await app.db.models.audit.findOne({ action: "auth:login", userId: user.id }).lean();
      expect(entry!.ip).toBe("198.51.100.20");
      const agent = new Agent(app.url);
      agent.cookie = res.setCookie[0]!.split(";")[0]!;
      const socket = await connectSocket(app, agent.cookie, { "x-forwarded-for": "6.6.6.6, 198.51.100.21" });
      socket.close();
      await sleep(100);
      await auditSettled(app);
      const connect = await app.db.models.audit.findOne({ action: "socket:connect", userId: user.id }).lean();
      expect(connect!.ip).toBe("198.51.100.21");
    } finally {
      await app.close();
    }
  });
});

describe("socket limits", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ SOCKET_EVENTS_MAX: "5", SOCKET_EVENTS_WINDOW_SECONDS: "60", SOCKET_MAX_PER_USER: "2" });
  });
  afterAll(() => app?.close());

  const cookieFor = async (who: { email: string; password: string }) => {
    const agent = new Agent(app.url);
    expect((await agent.post("/api/auth/login", { email: who.email, password: who.password })).status).toBe(200);
    return agent.cookie;
  };

  it("answers RATE_LIMITED to events over the per-connection budget, and audits the first refusal", async () => {
    const user = await makeUser(app, "patient");
    const socket = await connectSocket(app, await cookieFor(user));
    try {
      const acks = [];
      for (let i = 0; i < 8; i++) acks.push(await emitAck(socket, "chat:typing", { conversationId: "0123456789abcdef01234567" }));
      const codes = acks.map((a) => (a.ok ? "ok" : a.error.code));
      expect(codes.slice(0, 5).every((c) => c !== "RATE_LIMITED")).toBe(true);
      expect(codes.slice(5)).toEqual(["RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
      // A new connection has its own budget.
      const fresh = await connectSocket(app, await cookieFor(user));
      const ack = await emitAck(fresh, "chat:typing", { conversationId: "0123456789abcdef01234567" });
      expect(ack.ok ? "ok" : ack.error.code).not.toBe("RATE_LIMITED");
      fresh.close();
    } finally {
      socket.close();
    }
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ userId: user.id, reason: "RATE_LIMITED", outcome: "denied" })).toBe(1);
  });

  it("caps open sockets per user at the handshake, and frees a slot on disconnect", async () => {
    const user = await makeUser(app, "patient");
    const cookie = await cookieFor(user);
    const a = await connectSocket(app, cookie);
    const b = await connectSocket(app, await cookieFor(user));
    await expect(connectSocket(app, cookie)).rejects.toThrow("RATE_LIMITED");
    a.close();
    await sleep(200);
    const c = await connectSocket(app, cookie);
    b.close();
    c.close();
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "socket:rejected", reason: "TOO_MANY_SOCKETS" })).toBe(1);
  });

  it("stops counting the slots of a node that died once they go unrefreshed, and keeps live ones", async () => {
    const { SOCKET_STALE_MS } = await import("./limits.js");
    const user = await makeUser(app, "patient");
    const cookie = await cookieFor(user);
    const key = `${app.config.namespace}:rl:sock-user:${user.id}`;
    // Two slots held by sockets on a node that was killed (no disconnect ran), marked just now: full.
    await app.redis.zadd(key, Date.now(), "ghost-a", Date.now(), "ghost-b");
    await expect(connectSocket(app, cookie)).rejects.toThrow("RATE_LIMITED");
    // Their node stopped refreshing them: once stale they no longer count.
    const old = Date.now() - SOCKET_STALE_MS - 1000;
    await app.redis.zadd(key, old, "ghost-a", old, "ghost-b");
    const a = await connectSocket(app, cookie);
    // A live node's refresh re-marks its own sockets only (a released slot is not revived).
    await app.redis.zadd(key, old, a.id!);
    await app.services.limits.sockets.refresh([[user.id, a.id!], [user.id, "ghost-a"], [user.id, "never-held"]]);
    const scores = await app.redis.zrange(key, 0, -1, "WITHSCORES");
    const byMember = Object.fromEntries(scores.flatMap((v, i) => (i % 2 === 0 ? [[v, Number(scores[i + 1])]] : [])));
    expect(byMember[a.id!]).toBeGreaterThan(Date.now() - 5000);
    expect(byMember["never-held"]).toBeUndefined();
    a.close();
  });
});
