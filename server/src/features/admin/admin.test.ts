import { randomBytes } from "node:crypto";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationsChanged } from "@glp1/shared";
import {
  Agent,
  auditSettled,
  type ClientSocket,
  connectSocket,
  emitAck,
  enrollMfa,
  loginAgent,
  makeUser,
  nextEvent,
  noEvent,
  startTestApp,
  type TestApp,
} from "../../test/harness.js";
import { matchesWordPrefixes } from "./admin.search.js";

let app: TestApp;
let adminAgent: Agent;
const sockets: ClientSocket[] = [];
beforeAll(async () => {
  app = await startTestApp();
  adminAgent = await loginAgent(app, await makeUser(app, "admin"));
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await app?.close();
});

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

describe("reading and changing a care team", () => {
  const socketOf = async (who: Awaited<ReturnType<typeof makeUser>>) => {
    const socket = await connectSocket(app, (await loginAgent(app, who)).cookie);
    sockets.push(socket);
    return socket;
  };

  it("answers the current team with names, an empty one when none was set, and audits the read against the patient", async () => {
    const patient = await makeUser(app, "patient");
    const [a, b] = [await makeUser(app, "physician"), await makeUser(app, "physician")];
    const none = await adminAgent.get(`/api/admin/care-teams/${patient.id}`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ patientId: patient.id, physicians: [] });

    await adminAgent.post("/api/admin/care-teams", { patientId: patient.id, physicianIds: [a.id, b.id] });
    expect((await adminAgent.post(`/api/admin/users/${b.id}/disable`)).status).toBe(200);
    const res = await adminAgent.get(`/api/admin/care-teams/${patient.id}`);
    expect(res.body).toEqual({
      patientId: patient.id,
      physicians: [
        { id: a.id, name: a.name, active: true },
        { id: b.id, name: b.name, active: false },
      ],
    });
    await auditSettled(app);
    const reads = await app.db.models.audit.find({ action: "admin:care_team_read", patientId: new Types.ObjectId(patient.id) }).lean();
    expect(reads.map((e) => e.outcome)).toEqual(["success", "success"]);
    expect(JSON.stringify(reads)).not.toContain(a.name);
  });

  it("refuses non-admins (audited against the patient), a bad id with 400, and an id that is not a patient with 404", async () => {
    const patient = await makeUser(app, "patient");
    const physician = await makeUser(app, "physician");
    const denied = await (await loginAgent(app, physician)).get(`/api/admin/care-teams/${patient.id}`);
    expect(denied.status).toBe(403);
    expect((await adminAgent.get("/api/admin/care-teams/not-an-id")).status).toBe(400);
    expect((await adminAgent.get(`/api/admin/care-teams/${physician.id}`)).status).toBe(404);
    expect((await new Agent(app.url).get(`/api/admin/care-teams/${patient.id}`)).status).toBe(401);
    await auditSettled(app);
    const entry = await app.db.models.audit.findOne({ action: "admin:care_team_read", userId: new Types.ObjectId(physician.id) }).lean();
    expect(entry).toMatchObject({ outcome: "denied" });
    expect(String(entry!.patientId)).toBe(patient.id);
  });

  it("says who was added and removed; the removed physician's sockets are told and leave the patient's rooms, the patient and the newcomer are told", async () => {
    const patient = await makeUser(app, "patient");
    const [old, kept, added] = [await makeUser(app, "physician"), await makeUser(app, "physician"), await makeUser(app, "physician")];
    const first = await adminAgent.post("/api/admin/care-teams", { patientId: patient.id, physicianIds: [old.id, kept.id] });
    expect(first.body.careTeam).toMatchObject({ addedPhysicianIds: [old.id, kept.id], removedPhysicianIds: [] });
    const oldConversation = first.body.careTeam.conversationIds[0] as string;

    const [oldSocket, keptSocket, addedSocket, patientSocket] = [await socketOf(old), await socketOf(kept), await socketOf(added), await socketOf(patient)];
    // The old physician watches the patient's live metrics and has the conversation open.
    expect(await emitAck(oldSocket, "metrics:subscribe", { patientId: patient.id })).toMatchObject({ ok: true });
    expect(await emitAck(oldSocket, "chat:join", { conversationId: oldConversation })).toMatchObject({ ok: true });
    expect(await emitAck(keptSocket, "metrics:subscribe", { patientId: patient.id })).toMatchObject({ ok: true });

    const toOld = nextEvent<ConversationsChanged>(oldSocket, "conversations:changed");
    const toPatient = nextEvent<ConversationsChanged>(patientSocket, "conversations:changed");
    const toAdded = nextEvent<ConversationsChanged>(addedSocket, "conversations:changed");
    const keptQuiet = noEvent(keptSocket, "conversations:changed", 500);
    const res = await adminAgent.post("/api/admin/care-teams", { patientId: patient.id, physicianIds: [kept.id, added.id] });
    expect(res.status).toBe(200);
    expect(res.body.careTeam).toMatchObject({ physicianIds: [kept.id, added.id], addedPhysicianIds: [added.id], removedPhysicianIds: [old.id] });
    expect(await toOld).toEqual({ patientId: patient.id, lostAccess: true });
    expect(await toPatient).toEqual({ patientId: patient.id, lostAccess: false });
    expect(await toAdded).toEqual({ patientId: patient.id, lostAccess: false });
    expect(await keptQuiet).toBe(true);

    // A new reading reaches the physician still on the team, not the one taken off it.
    const oldMissesIt = noEvent(oldSocket, "metrics:update", 700);
    const keptGetsIt = nextEvent(keptSocket, "metrics:update");
    const report = await emitAck(patientSocket, "metrics:report", { readings: [{ kind: "weight", value: 91.5, unit: "kg", observedAt: new Date().toISOString() }] });
    expect(report).toMatchObject({ ok: true });
    await keptGetsIt;
    expect(await oldMissesIt).toBe(true);

    // Saving the same team again changes nothing and tells nobody.
    const quiet = noEvent(patientSocket, "conversations:changed", 500);
    const same = await adminAgent.post("/api/admin/care-teams", { patientId: patient.id, physicianIds: [kept.id, added.id] });
    expect(same.body.careTeam).toMatchObject({ addedPhysicianIds: [], removedPhysicianIds: [] });
    expect(await quiet).toBe(true);
  });
});

/** A word no other test's names contain, so each test's search sees only its own accounts. */
const uniqueWord = () => `Q${randomBytes(4).toString("hex").replace(/\d/g, (d) => "abcdefghij"[Number(d)]!)}`;

describe("name matching (unit)", () => {
  it("matches every term as a case- and accent-insensitive prefix of some word", () => {
    expect(matchesWordPrefixes("Amélie O'Neil-Smith", ["ame"])).toBe(true);
    expect(matchesWordPrefixes("Amélie O'Neil-Smith", ["neil", "sm"])).toBe(true);
    expect(matchesWordPrefixes("Amélie O'Neil-Smith", ["mel"])).toBe(false);
    expect(matchesWordPrefixes("Amélie O'Neil-Smith", ["ame", "jones"])).toBe(false);
    expect(matchesWordPrefixes("Anyone", [])).toBe(false);
  });
});

describe("admin account search", () => {
  const search = (body: unknown, agent = adminAgent) => agent.post("/api/admin/users/search", body);

  it("finds accounts by the start of any word of the name, any case or accent, sorted by name", async () => {
    const w = uniqueWord();
    const amelie = await makeUser(app, "patient", { name: `Amélie ${w}` });
    const amos = await makeUser(app, "physician", { name: `Dr Amos ${w}` });
    const other = await makeUser(app, "patient", { name: `Bob ${w}` });
    const res = await search({ q: `AME ${w.slice(0, 5).toLowerCase()}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ match: "name", truncated: false });
    expect(res.body.users).toEqual([{ id: amelie.id, name: `Amélie ${w}`, email: amelie.email, role: "patient", status: "active", mfaEnrolled: false }]);

    const byWord = await search({ q: w.toLowerCase() });
    expect(byWord.body.users.map((u: { id: string }) => u.id)).toEqual([amelie.id, other.id, amos.id]);
    // The role narrows it; a word's middle does not match.
    expect((await search({ q: w, role: "physician" })).body.users.map((u: { id: string }) => u.id)).toEqual([amos.id]);
    expect((await search({ q: w.slice(2) })).body.users).toEqual([]);
  });

  it("finds one account by exact email (through the blind index) or by id, and shows its status and MFA", async () => {
    const who = await enrollMfa(app, await makeUser(app, "physician", { name: `Dr ${uniqueWord()}` }));
    const byEmail = await search({ q: `  ${who.email.toUpperCase()} ` });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.match).toBe("email");
    expect(byEmail.body.users).toEqual([{ id: who.id, name: who.name, email: who.email, role: "physician", status: "active", mfaEnrolled: true }]);
    // Part of an email is not an email: no fuzzy matching on the sealed field.
    expect((await search({ q: who.email.split("@")[0] })).body.users).toEqual([]);
    expect((await search({ q: `${who.email}`, role: "patient" })).body.users).toEqual([]);

    expect((await adminAgent.post(`/api/admin/users/${who.id}/disable`)).status).toBe(200);
    const byId = await search({ q: who.id.toUpperCase() });
    expect(byId.body.match).toBe("id");
    expect(byId.body.users[0]).toMatchObject({ id: who.id, status: "disabled" });
  });

  it("caps the results and says so", async () => {
    const w = uniqueWord();
    for (let i = 0; i < 3; i++) await makeUser(app, "patient", { name: `Pat${i} ${w}` });
    const res = await search({ q: w, limit: 2 });
    expect(res.body.users).toHaveLength(2);
    expect(res.body.truncated).toBe(true);
    expect((await search({ q: w, limit: 51 })).status).toBe(400);
  });

  it("refuses bad input with 400 and the one error shape, and non-admins with 403", async () => {
    for (const body of [{}, { q: "" }, { q: "   " }, { q: "x".repeat(255) }, { q: "a\u0000b" }, { q: "ann", role: "superuser" }, { q: "ann", extra: 1 }, { q: "half@" }, { q: 42 }]) {
      const res = await search(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toEqual({ code: "VALIDATION_FAILED", message: expect.any(String), fields: expect.any(Array) });
    }
    const physician = await loginAgent(app, await makeUser(app, "physician"));
    expect((await search({ q: "ann" }, physician)).status).toBe(403);
    expect((await new Agent(app.url).post("/api/admin/users/search", { q: "ann" })).status).toBe(401);
  });

  it("audits each search and every patient it shows, without the search text or any name in the trail or the logs", async () => {
    const w = uniqueWord();
    const [p1, p2] = [await makeUser(app, "patient", { name: `Ida ${w}` }), await makeUser(app, "patient", { name: `Ivo ${w}` })];
    await makeUser(app, "support", { name: `Ike ${w}` });
    expect((await search({ q: w })).body.users).toHaveLength(3);
    expect((await search({ q: p1.email })).body.users).toHaveLength(1);
    await search({ q: "nobody@example.test" });
    await search({});
    await auditSettled(app);
    const entries = await app.db.models.audit.find({ action: "admin:user_search" }).lean();
    const results = entries.filter((e) => e.reason === "SEARCH_RESULT").map((e) => String(e.patientId));
    expect(results).toEqual(expect.arrayContaining([p1.id, p2.id]));
    const single = entries.find((e) => e.reason === "BY_EMAIL" && e.resourceId === p1.id);
    expect(single).toMatchObject({ outcome: "success", resource: "user" });
    expect(String(single!.patientId)).toBe(p1.id);
    expect(entries.some((e) => e.reason === "BY_EMAIL" && e.resourceId === null)).toBe(true);
    expect(entries.some((e) => e.outcome === "failure" && e.reason === "VALIDATION_FAILED")).toBe(true);
    const trail = JSON.stringify(entries) + app.logs.join("\n");
    for (const phi of [w, w.toLowerCase(), p1.email, "nobody@example.test"]) expect(trail).not.toContain(phi);
    expect(await app.db.models.audit.countDocuments({ action: "admin:user_search", patientId: new Types.ObjectId(p2.id) })).toBe(1);
  });
});
