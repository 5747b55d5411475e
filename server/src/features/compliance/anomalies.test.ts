import { randomBytes } from "node:crypto";
import type { AnomalyRule, AnomalyView } from "@glp1/shared";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readChainAfter } from "../../audit/audit.model.js";
import type { StoredAuditEntry } from "../../audit/audit.writer.js";
import { Agent, auditSettled, connectSocket, loginAgent, makeCareTeam, makeUser, nextEvent, noEvent, sleep, startTestApp, type TestApp } from "../../test/harness.js";
import { createAnomalyDetector } from "./anomalies.detector.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const oid = () => new Types.ObjectId().toHexString();
/** Everything audited so far has been stored and run through the detector. */
async function detected() {
  await auditSettled(app);
  await sleep(0);
  await app.services.anomalyDetector.settled();
}
const anomaliesOf = (rule: AnomalyRule, subject: string) => app.db.models.anomalies.find({ rule, subject }).sort({ createdAt: 1 }).lean();

/** `n` reads of distinct patients by one staff member, through the real audit writer. */
async function reads(userId: string, n: number, role = "physician") {
  await Promise.all(Array.from({ length: n }, () => app.audit.record({ userId, role, action: "metrics:read", resource: "reading", patientId: oid(), outcome: "success", ip: "10.0.0.9" })));
}

async function adminWithSocket() {
  const admin = await makeUser(app, "admin");
  const agent = await loginAgent(app, admin);
  return { admin, agent, socket: await connectSocket(app, agent.cookie) };
}

describe("anomaly detection on the audit stream", () => {
  it("one user touching more than 30 distinct patients in 10 minutes raises one open anomaly, pushed to every admin", async () => {
    const { agent, socket } = await adminWithSocket();
    const snoop = oid();
    const pushed = nextEvent<{ anomaly: AnomalyView }>(socket, "anomaly:new");
    await reads(snoop, 30);
    await detected();
    expect(await anomaliesOf("bulk_patient_reads", snoop)).toEqual([]);
    await reads(snoop, 1);
    await detected();
    const { anomaly } = await pushed;
    expect(anomaly).toMatchObject({ rule: "bulk_patient_reads", subject: snoop, userId: snoop, status: "open", count: 31, threshold: 31 });
    expect(Date.parse(anomaly.windowEnd) - Date.parse(anomaly.windowStart)).toBe(10 * 60_000);

    // The burst goes on: still one open anomaly, its count grows, no second push.
    const quiet = noEvent(socket, "anomaly:new", 500);
    await reads(snoop, 5);
    await detected();
    expect(await quiet).toBe(true);
    const open = await anomaliesOf("bulk_patient_reads", snoop);
    expect(open).toHaveLength(1);
    expect(open[0]!.count).toBe(36);

    // Pushes the server made to a live screen are not reads the user asked for.
    const viewer = oid();
    await Promise.all(Array.from({ length: 40 }, () => app.audit.record({ userId: viewer, role: null, action: "dashboard:update", resource: "dashboard", patientId: oid(), outcome: "success", reason: "pushed" })));
    await detected();
    expect(await anomaliesOf("bulk_patient_reads", viewer)).toEqual([]);

    const listed = await agent.get("/api/admin/anomalies?status=open");
    expect(listed.status).toBe(200);
    expect(listed.body.anomalies.filter((a: AnomalyView) => a.subject === snoop)).toHaveLength(1);
    expect(listed.body.anomalies[0]).not.toHaveProperty("openKey");
    socket.close();
  });

  it("admins close an anomaly with a resolution (audited); a new burst after that raises a new one", async () => {
    const { admin, agent, socket } = await adminWithSocket();
    socket.close();
    const snoop = oid();
    await reads(snoop, 31);
    await detected();
    const [a] = await anomaliesOf("bulk_patient_reads", snoop);
    const id = String(a!._id);

    const physician = await loginAgent(app, await makeUser(app, "physician"));
    expect((await physician.post(`/api/admin/anomalies/${id}/close`, { resolution: "benign" })).status).toBe(403);
    expect((await physician.get("/api/admin/anomalies")).status).toBe(403);
    expect((await agent.post(`/api/admin/anomalies/${id}/close`, { resolution: "ignored" })).status).toBe(400);

    const closed = await agent.post(`/api/admin/anomalies/${id}/close`, { resolution: "benign" });
    expect(closed.status).toBe(200);
    expect(closed.body.anomaly).toMatchObject({ id, status: "closed", resolution: "benign", closedBy: admin.id });
    expect((await agent.post(`/api/admin/anomalies/${id}/close`, { resolution: "confirmed" })).status).toBe(409);
    expect((await agent.post(`/api/admin/anomalies/${oid()}/close`, { resolution: "confirmed" })).status).toBe(404);
    const closedList = await agent.get("/api/admin/anomalies?status=closed");
    expect(closedList.body.anomalies.map((x: AnomalyView) => x.id)).toContain(id);

    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "anomaly:close", userId: admin.id, resourceId: id, outcome: "success", reason: "BENIGN" })).toBe(1);
    expect(await app.db.models.audit.countDocuments({ action: "anomaly:close", outcome: "denied" })).toBeGreaterThanOrEqual(1);

    // Closing restarts the window: the same user needs a new burst to raise a new anomaly.
    await reads(snoop, 5);
    await detected();
    expect(await anomaliesOf("bulk_patient_reads", snoop)).toHaveLength(1);
    await reads(snoop, 30);
    await detected();
    const both = await anomaliesOf("bulk_patient_reads", snoop);
    expect(both.map((x) => x.status)).toEqual(["closed", "open"]);
  });

  it("access outside the care team and break-glass access each raise an anomaly per user, counted", async () => {
    const team = await makeCareTeam(app);
    const outsider = await makeUser(app, "physician");
    const agent = await loginAgent(app, outsider);
    expect((await agent.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(403);
    expect((await agent.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(403);
    await detected();
    const denied = await anomaliesOf("care_team_denied", outsider.id);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ status: "open", count: 2, threshold: 1 });

    expect((await agent.post(`/api/patients/${team.patient.id}/break-glass`, { reason: "Patient collapsed in clinic, need history" })).status).toBe(200);
    expect((await agent.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(200);
    await detected();
    const bg = await anomaliesOf("break_glass", outsider.id);
    expect(bg).toHaveLength(1);
    expect(bg[0]!.count).toBe(2); // the grant and the access under it
    // The team's own physician reading the record raises nothing.
    const doctor = await loginAgent(app, team.physician);
    expect((await doctor.get(`/api/patients/${team.patient.id}/metrics`)).status).toBe(200);
    await detected();
    expect(await app.db.models.anomalies.countDocuments({ subject: team.physician.id })).toBe(0);
  });

  it("ten failed sign-ins in five minutes raise one anomaly for the account and one for the IP", async () => {
    const victim = await makeUser(app, "physician");
    const stranger = new Agent(app.url);
    for (let i = 0; i < 9; i++) expect((await stranger.post("/api/auth/login", { email: victim.email, password: `wrong-password-${i}` })).status).toBe(401);
    await detected();
    expect(await anomaliesOf("login_failures_account", victim.id)).toEqual([]);
    for (let i = 0; i < 3; i++) await stranger.post("/api/auth/login", { email: victim.email, password: "still-wrong-password" });
    await detected();
    const account = await anomaliesOf("login_failures_account", victim.id);
    expect(account).toHaveLength(1);
    expect(account[0]!.count).toBeGreaterThanOrEqual(10);
    const ip = await app.db.models.anomalies.find({ rule: "login_failures_ip" }).lean();
    expect(ip).toHaveLength(1);
    expect(ip[0]).toMatchObject({ subject: "127.0.0.1", userId: null, status: "open" });
  });
});

describe("anomaly detector (several nodes, clinic hours)", () => {
  const entry = (userId: string, over: Partial<StoredAuditEntry> = {}): StoredAuditEntry => ({
    at: new Date(),
    userId: new Types.ObjectId(userId),
    role: "support",
    action: "triage:preview",
    resource: "conversation",
    resourceId: null,
    patientId: new Types.ObjectId(),
    outcome: "success",
    ip: null,
    userAgent: null,
    requestId: null,
    reason: null,
    chainId: "test",
    seq: 0,
    prevHash: "",
    hash: "",
    ...over,
  });
  const detector = (namespace: string, clinicDays: number[], pushes: string[]) =>
    createAnomalyDetector({
      anomalies: app.db.models.anomalies,
      users: app.db.models.users,
      redis: app.redis,
      namespace,
      notifier: { toUsers: (_ids, event) => void pushes.push(event) },
      logger: app.logger,
      clinicHours: { openMinute: 0, closeMinute: 24 * 60, days: clinicDays, timeZone: "UTC" },
    });

  it("two nodes counting into the same Redis windows raise exactly one anomaly", async () => {
    const ns = `${app.dbName}-n${randomBytes(2).toString("hex")}`;
    const pushes: string[] = [];
    const [a, b] = [detector(ns, [0, 1, 2, 3, 4, 5, 6], pushes), detector(ns, [0, 1, 2, 3, 4, 5, 6], pushes)];
    const user = oid();
    const batch = (n: number) => Array.from({ length: n }, (_, i) => entry(user, { seq: i }));
    await Promise.all([a.observe(batch(20)), b.observe(batch(20))]);
    const found = await anomaliesOf("bulk_patient_reads", user);
    expect(found).toHaveLength(1);
    expect(found[0]!.count).toBe(40);
    expect(pushes).toEqual(["anomaly:new"]);
    expect(await anomaliesOf("off_hours_bulk_reads", user)).toEqual([]); // the clinic is always open here
  });

  it("reads of 10 distinct patients outside clinic hours raise an off-hours anomaly", async () => {
    const pushes: string[] = [];
    const closed = detector(`${app.dbName}-c`, [], pushes); // never open
    const user = oid();
    await closed.observe(Array.from({ length: 9 }, () => entry(user)));
    expect(await anomaliesOf("off_hours_bulk_reads", user)).toEqual([]);
    await closed.observe([entry(user), entry(user, { outcome: "failure" })]);
    const found = await anomaliesOf("off_hours_bulk_reads", user);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ count: 10, threshold: 10, status: "open" });
    expect(Date.parse(found[0]!.windowEnd.toISOString()) - found[0]!.windowStart.getTime()).toBe(60 * 60_000);
    expect(pushes).toEqual(["anomaly:new"]);
  });

  it("examines what a node that died stored but never examined, once, on another node", async () => {
    const ns = `${app.dbName}-r${randomBytes(2).toString("hex")}`;
    const pushes: string[] = [];
    const withAudit = () =>
      createAnomalyDetector({
        anomalies: app.db.models.anomalies,
        readChain: (chainId, afterSeq, limit) => readChainAfter(app.db.models.audit, chainId, afterSeq, limit),
        users: app.db.models.users,
        redis: app.redis,
        namespace: ns,
        notifier: { toUsers: (_ids, event) => void pushes.push(event) },
        logger: app.logger,
        clinicHours: { openMinute: 0, closeMinute: 24 * 60, days: [0, 1, 2, 3, 4, 5, 6], timeZone: "UTC" },
      });
    const dying = withAudit();
    const survivor = withAudit();
    const chainId = `dead-${randomBytes(3).toString("hex")}`;
    await dying.track(chainId, { recoverEveryMs: 3_600_000 });
    await survivor.track(`alive-${randomBytes(3).toString("hex")}`, { recoverEveryMs: 3_600_000 });
    const user = oid();
    // It examined its first 10 entries, then stored 30 more and died before examining them.
    const rows = Array.from({ length: 40 }, (_, i) => entry(user, { chainId, seq: i, hash: `h${i}` }));
    await app.db.models.audit.collection.insertMany(rows.map((r) => ({ ...r })));
    await dying.observe(rows.slice(0, 10));
    expect(await anomaliesOf("bulk_patient_reads", user)).toEqual([]);
    // While its heartbeat lasts, nobody touches its chain.
    expect(await survivor.recover()).toBe(0);
    await app.redis.del(`${ns}:anom:alive:${chainId}`); // the heartbeat lapses
    expect(await survivor.recover()).toBe(30);
    const found = await anomaliesOf("bulk_patient_reads", user);
    expect(found).toHaveLength(1);
    expect(found[0]!.count).toBe(40);
    expect(pushes).toEqual(["anomaly:new"]);
    // Done with that chain: it is forgotten, and nothing is examined twice.
    expect(await survivor.recover()).toBe(0);
    expect(await app.redis.sismember(`${ns}:anom:chains`, chainId)).toBe(0);
    await survivor.close();
    expect(await app.redis.scard(`${ns}:anom:chains`)).toBe(0); // a clean stop leaves nothing to recover
  });
});
