import type { DashboardRow } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientSocket,
  connectSocket,
  emitAck,
  loginAgent,
  makeCareTeam,
  makeUser,
  nextEvent,
  type Person,
  sleep,
  startTestApp,
  type TestApp,
} from "../../test/harness.js";

let app: TestApp;
const open: ClientSocket[] = [];
beforeAll(async () => {
  // A long push interval, so the coalescing test can tell one push per interval from one per reading.
  app = await startTestApp({ DASHBOARD_COALESCE_MS: "1000" });
});
afterAll(async () => {
  open.forEach((s) => s.close());
  await app?.close();
});

/** Poll until `check` holds (presence changes land asynchronously after a socket closes). */
async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}
const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
async function sock(cookie: string | null) {
  const s = await connectSocket(app, cookie);
  open.push(s);
  return s;
}
/** Give `physician` these extra patients (a care team each). */
async function addPatients(physician: Person, n: number): Promise<Person[]> {
  const out: Person[] = [];
  for (let i = 0; i < n; i++) {
    const p = await makeUser(app, "patient");
    await app.services.admin.setCareTeam({ patientId: p.id, physicianIds: [physician.id] }, { resource: "careteam" });
    out.push(p);
  }
  return out;
}
/** A signed prescription straight through the service (as the treating physician). */
async function prescribe(physician: Person, patientId: string, drug: "semaglutide" | "tirzepatide", doseMg: number) {
  const actor = { userId: physician.id, role: "physician" as const, sessionId: "test" };
  const p = await app.services.prescriptions.create(actor, { patientId, drug, doseMg, directions: "weekly", quantity: 1, refills: 0 }, { resource: "prescription" });
  await app.services.prescriptions.sign(actor, p.id, { resource: "prescription" });
}

describe("GET /api/dashboard", () => {
  it("shows the physician's own patients with weight change, dose, adherence, alerts and unread — and nobody else's", async () => {
    const mine = await makeCareTeam(app);
    const other = await makeCareTeam(app);
    const patient = await loginAgent(app, mine.patient);
    expect((await patient.post("/api/metrics", { readings: [{ kind: "weight", value: 100, unit: "kg", observedAt: ago(0.5) }] })).status).toBe(201);
    await prescribe(mine.physician, mine.patient.id, "semaglutide", 0.25);
    const now = new Date().toISOString();
    const r = await patient.post("/api/metrics", {
      readings: [
        { kind: "dose", value: { drug: "semaglutide", mg: 0.25, site: "abdomen" }, unit: "mg", observedAt: now },
        { kind: "weight", value: 97.5, unit: "kg", observedAt: now },
        { kind: "glucose", value: 50, unit: "mg/dL", observedAt: now },
      ],
    });
    expect(r.status).toBe(201);
    const ps = await sock(patient.cookie);
    await emitAck(ps, "chat:send", { conversationId: mine.conversationId, body: "hello doctor", clientId: "dash-msg-0001" });
    await app.services.feed.drain();

    const doctor = await loginAgent(app, mine.physician);
    const res = await doctor.get("/api/dashboard");
    expect(res.status).toBe(200);
    const rows = res.body.patients as DashboardRow[];
    expect(rows.map((x) => x.patientId)).toEqual([mine.patient.id]);
    expect(rows[0]).toMatchObject({
      name: mine.patient.name,
      latestWeightKg: 97.5,
      baselineWeightKg: 100,
      pctChange: -2.5,
      weeksOnTherapy: 0,
      drug: "semaglutide",
      doseMg: 0.25,
      escalationDue: false,
      adherence: { taken: 1, expected: 1, pct: 100 },
      openAlerts: { urgent: 1, high: 0, medium: 0, total: 1 },
      unread: 1,
      online: true,
    });
    expect(rows[0]!.lastContactAt).not.toBeNull();
    // The other physician's panel does not include this patient, and vice versa.
    const theirs = await (await loginAgent(app, other.physician)).get("/api/dashboard");
    expect(theirs.body.patients.map((x: DashboardRow) => x.patientId)).toEqual([other.patient.id]);
  });

  it("sorts and filters on the server", async () => {
    const physician = await makeUser(app, "physician");
    const ps = await addPatients(physician, 3);
    for (const [i, p] of ps.entries()) {
      const agent = await loginAgent(app, p);
      await agent.post("/api/metrics", {
        readings: [
          { kind: "weight", value: 100, unit: "kg", observedAt: ago(10) },
          { kind: "weight", value: 100 - (i + 1) * 2, unit: "kg", observedAt: ago(1) },
        ],
      });
    }
    await app.services.feed.drain();
    const doctor = await loginAgent(app, physician);
    const byLoss = (await doctor.get("/api/dashboard?sort=pctChange&order=asc")).body.patients as DashboardRow[];
    expect(byLoss.map((r) => r.patientId)).toEqual([ps[2]!.id, ps[1]!.id, ps[0]!.id]);
    const byGain = (await doctor.get("/api/dashboard?sort=pctChange&order=desc")).body.patients as DashboardRow[];
    expect(byGain.map((r) => r.patientId)).toEqual([ps[0]!.id, ps[1]!.id, ps[2]!.id]);
    const paged = (await doctor.get("/api/dashboard?sort=pctChange&limit=1&offset=1")).body;
    expect(paged.patients.map((r: DashboardRow) => r.patientId)).toEqual([ps[1]!.id]);
    expect(paged.total).toBe(3);
    await prescribe(physician, ps[1]!.id, "tirzepatide", 2.5);
    const tirz = (await doctor.get("/api/dashboard?drug=tirzepatide")).body;
    expect(tirz.patients.map((r: DashboardRow) => r.patientId)).toEqual([ps[1]!.id]);
    expect(tirz.total).toBe(1);
    expect((await doctor.get("/api/dashboard?sort=bogus")).status).toBe(400);
  });

  it("sorts by name as family name (the last word), then given names", async () => {
    const physician = await makeUser(app, "physician");
    const names = ["Carlos Haddad", "Aisha Smith", "Ann Marie Smith", "Zoe Adams", "Bo Smithers"];
    const ids = new Map<string, string>();
    for (const name of names) {
      const p = await makeUser(app, "patient", { name });
      await app.services.admin.setCareTeam({ patientId: p.id, physicianIds: [physician.id] }, { resource: "careteam" });
      ids.set(p.id, name);
    }
    const doctor = await loginAgent(app, physician);
    const order = async (dir: "asc" | "desc") =>
      ((await doctor.get(`/api/dashboard?sort=name&order=${dir}`)).body.patients as DashboardRow[]).map((r) => ids.get(r.patientId));
    const expected = ["Zoe Adams", "Carlos Haddad", "Aisha Smith", "Ann Marie Smith", "Bo Smithers"];
    expect(await order("asc")).toEqual(expected);
    expect(await order("desc")).toEqual(expected.slice().reverse());
  });

  it("is for physicians only: support, patients and admins get 403 and no clinical fields", async () => {
    for (const role of ["support", "patient", "admin"] as const) {
      const agent = await loginAgent(app, await makeUser(app, role));
      const res = await agent.get("/api/dashboard");
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toMatch(/Weight|pctChange|doseMg/);
    }
    const support = await sock((await loginAgent(app, await makeUser(app, "support"))).cookie);
    const ack = await emitAck(support, "dashboard:subscribe", {});
    expect(ack).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
  });
});

describe("live dashboard updates", () => {
  it("coalesces: 20 readings from 20 patients within 100 ms reach the physician as at most 2 updates holding all 20 (the first at once, the rest one interval later)", async () => {
    const physician = await makeUser(app, "physician");
    const patients = await addPatients(physician, 20);
    const agents = await Promise.all(patients.map((p) => loginAgent(app, p)));
    const doctor = await sock((await loginAgent(app, physician)).cookie);
    expect(await emitAck(doctor, "dashboard:subscribe", {})).toEqual({ ok: true, data: {} });
    const updates: DashboardRow[][] = [];
    doctor.on("dashboard:update", (p) => updates.push(p.patients));

    const t0 = Date.now();
    await Promise.all(agents.map((a, i) => sleep(i * 5).then(() => a.post("/api/metrics", { readings: [{ kind: "weight", value: 90 + i, unit: "kg", observedAt: ago(0.01) }] }))));
    const sentIn = Date.now() - t0;
    await app.services.feed.drain();
    await sleep(500);
    const seen = new Set(updates.flat().map((r) => r.patientId));
    process.stdout.write(`coalesce: 20 reports answered in ${sentIn} ms; ${updates.length} update(s) of sizes ${updates.map((u) => u.length).join(",")}\n`);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(2);
    expect(seen).toEqual(new Set(patients.map((p) => p.id)));
    const row = updates.flat().find((r) => r.patientId === patients[3]!.id)!;
    expect(row.latestWeightKg).toBe(93);
  });

  it("a physician never receives rows of another physician's patients", async () => {
    const a = await makeCareTeam(app);
    const b = await makeCareTeam(app);
    const sa = await sock((await loginAgent(app, a.physician)).cookie);
    await emitAck(sa, "dashboard:subscribe", {});
    const got: DashboardRow[] = [];
    sa.on("dashboard:update", (p) => got.push(...p.patients));
    await (await loginAgent(app, b.patient)).post("/api/metrics", { readings: [{ kind: "weight", value: 80, unit: "kg", observedAt: ago(0.01) }] });
    await (await loginAgent(app, a.patient)).post("/api/metrics", { readings: [{ kind: "weight", value: 81, unit: "kg", observedAt: ago(0.01) }] });
    await app.services.feed.drain();
    await sleep(300);
    expect(got.map((r) => r.patientId)).toEqual([a.patient.id]);
  });

  it("computes, audits and pushes rows only while the physician has a dashboard open", async () => {
    const team = await makeCareTeam(app);
    const patient = await loginAgent(app, team.patient);
    const pushedAudits = async () => {
      await app.audit.flush();
      return app.db.models.audit.countDocuments({ userId: team.physician.id, action: "dashboard:update" });
    };
    const report = async (kg: number) => {
      await patient.post("/api/metrics", { readings: [{ kind: "weight", value: kg, unit: "kg", observedAt: ago(0.01) }] });
      await app.services.feed.drain();
    };
    // A socket without the dashboard open: nothing is computed for this physician.
    const idle = await sock((await loginAgent(app, team.physician)).cookie);
    await report(80);
    expect(await pushedAudits()).toBe(0);
    // Opened: the next reading arrives, audited.
    const watching = await sock((await loginAgent(app, team.physician)).cookie);
    expect((await emitAck(watching, "dashboard:subscribe", {})).ok).toBe(true);
    const live = nextEvent<{ patients: DashboardRow[] }>(watching, "dashboard:update", 5000);
    await report(81);
    expect((await live).patients.map((r) => r.latestWeightKg)).toEqual([81]);
    expect(await pushedAudits()).toBe(1);
    // Subscribing twice on one socket counts once: closing it stops the pushes.
    expect((await emitAck(watching, "dashboard:subscribe", {})).ok).toBe(true);
    watching.close();
    await sleep(200);
    await report(82);
    expect(await pushedAudits()).toBe(1);
    expect(idle.connected).toBe(true);
  });
});

describe("presence and unread across tabs and reconnects", () => {
  it("a patient with two tabs stays online until both close; unread follows read marks from any tab", async () => {
    const t = await makeCareTeam(app);
    const patientAgent = await loginAgent(app, t.patient);
    const doctorAgent = await loginAgent(app, t.physician);
    const rowOf = async () => ((await doctorAgent.get("/api/dashboard")).body.patients as DashboardRow[])[0]!;

    const count = async () => Number((await app.redis.hget(`${app.config.namespace}:presence:${t.patient.id}`, app.config.nodeId)) ?? 0);
    const tab1 = await sock(patientAgent.cookie);
    const tab2 = await sock(patientAgent.cookie);
    expect(await eventually(async () => (await count()) === 2)).toBe(true);
    expect((await rowOf()).online).toBe(true);
    tab1.close();
    expect(await eventually(async () => (await count()) === 1)).toBe(true);
    expect((await rowOf()).online).toBe(true);
    // A reconnect (a new socket for the same session) keeps the count right.
    const tab1again = await sock(patientAgent.cookie);
    expect(await eventually(async () => (await count()) === 2)).toBe(true);
    tab2.close();
    expect(await eventually(async () => (await count()) === 1)).toBe(true);
    expect((await rowOf()).online).toBe(true);
    tab1again.close();
    expect(await eventually(async () => !(await rowOf()).online)).toBe(true);

    // Unread: two messages; the physician reads the first in one tab, the second in another.
    const ps = await sock(patientAgent.cookie);
    const m1 = await emitAck<{ message: { id: string } }>(ps, "chat:send", { conversationId: t.conversationId, body: "one", clientId: "unread-0001" });
    const m2 = await emitAck<{ message: { id: string } }>(ps, "chat:send", { conversationId: t.conversationId, body: "two", clientId: "unread-0002" });
    expect((await rowOf()).unread).toBe(2);
    const d1 = await sock(doctorAgent.cookie);
    const d2 = await sock(doctorAgent.cookie);
    await emitAck(d1, "dashboard:subscribe", {});
    await emitAck(d2, "dashboard:subscribe", {});
    const live = nextEvent<{ patients: DashboardRow[] }>(d2, "dashboard:update", 5000);
    if (!m1.ok || !m2.ok) throw new Error("send failed");
    await emitAck(d1, "chat:read", { conversationId: t.conversationId, messageId: m1.data.message.id });
    expect((await rowOf()).unread).toBe(1);
    // The other tab hears of it live.
    expect((await live).patients.find((r) => r.patientId === t.patient.id)).toBeDefined();
    await emitAck(d2, "chat:read", { conversationId: t.conversationId, messageId: m2.data.message.id });
    expect((await rowOf()).unread).toBe(0);
    d1.close();
    d2.close();
    // After a reconnect, the count comes from the database, not from memory.
    const d3 = await sock(doctorAgent.cookie);
    await emitAck(d3, "dashboard:subscribe", {});
    expect((await rowOf()).unread).toBe(0);
  });
});
