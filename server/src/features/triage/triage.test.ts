import type { ChatMessage, DashboardRow, TriageItemView, TriageRoutedNotice, TriageUpdate } from "@glp1/shared";
import { AFTER_HOURS_REPLY, SYSTEM_SENDER_ID } from "@glp1/shared";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditSettled, type ClientSocket, connectSocket, emitAck, loginAgent, makeCareTeam, makeUser, nextEvent, noEvent, type Person, sleep, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
const open: ClientSocket[] = [];
const ALWAYS_OPEN = { CLINIC_HOURS: "00:00-24:00", CLINIC_DAYS: "0,1,2,3,4,5,6" };
/** The clinic always open (after hours has its own app below); the SLA test has its own short SLA. */
beforeAll(async () => {
  app = await startTestApp({ TRIAGE_SLA_MINUTES: "60", ...ALWAYS_OPEN });
});
afterAll(async () => {
  open.forEach((s) => s.close());
  await app?.close();
});

let n = 0;
async function sock(a: TestApp, cookie: string | null) {
  const s = await connectSocket(a, cookie);
  open.push(s);
  return s;
}
async function say(a: TestApp, who: Person, conversationId: string, body: string): Promise<ChatMessage> {
  const s = await sock(a, (await loginAgent(a, who)).cookie);
  const ack = await emitAck<{ message: ChatMessage }>(s, "chat:send", { conversationId, body, clientId: `triage-test-${++n}-${Date.now()}` });
  if (!ack.ok) throw new Error(ack.error.code);
  s.close();
  return ack.data.message;
}
/** The first `triage:update` whose item for `conversationId` passes `match` (other pushes are skipped). */
function updateFor(s: ClientSocket, conversationId: string, match: (i: TriageItemView) => boolean, timeoutMs = 5000): Promise<TriageItemView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off("triage:update", on);
      reject(new Error("no matching triage:update"));
    }, timeoutMs);
    const on = (u: TriageUpdate) => {
      const item = u.items.find((i) => i.conversationId === conversationId);
      if (!item || !match(item)) return;
      clearTimeout(timer);
      s.off("triage:update", on);
      resolve(item);
    };
    s.on("triage:update", on);
  });
}
const queue = async (agent: Awaited<ReturnType<typeof loginAgent>>) => (await agent.get("/api/triage")).body.items as TriageItemView[];

describe("triage queue", () => {
  it("takes red flags at once and plain messages after the SLA; orders by priority then waiting time; shows support no clinical content", async () => {
    const support = await makeUser(app, "support");
    const agent = await loginAgent(app, support);
    const plain = await makeCareTeam(app);
    const flagged = await makeCareTeam(app);
    const request = await makeCareTeam(app);

    await say(app, plain.patient, plain.conversationId, "Just checking in, nausea is better");
    await say(app, request.patient, request.conversationId, "Can I get a refill sent to my pharmacy?");
    await say(app, flagged.patient, flagged.conversationId, "I have chest pain since this morning and feel awful");

    const now = await queue(agent);
    const ids = now.map((i) => i.conversationId);
    // The red flag is first, the request is in, the plain message waits for its SLA.
    expect(ids[0]).toBe(flagged.conversationId);
    expect(ids).toContain(request.conversationId);
    expect(ids).not.toContain(plain.conversationId);
    expect(now[0]).toMatchObject({ priority: "urgent", category: "red_flag", sender: "patient", patientRef: flagged.patient.id, status: "open" });
    expect(now.find((i) => i.conversationId === request.conversationId)).toMatchObject({ category: "request", priority: "normal" });

    // Nothing clinical or identifying reaches support in the list.
    const text = JSON.stringify(now);
    for (const p of [plain, flagged, request]) expect(text).not.toContain(p.patient.name);
    expect(text).not.toMatch(/chest|refill|pharmacy|nausea|preview/i);
    expect(now[0]!.careTeam).toEqual([{ id: flagged.physician.id, name: flagged.physician.name }]);
  });

  it("puts an unanswered message in the queue once the SLA runs out, and pushes it to subscribed support", async () => {
    const main = app;
    // An SLA of 3 s, in an app of its own.
    app = await startTestApp({ TRIAGE_SLA_MINUTES: "0.05", ...ALWAYS_OPEN });
    try {
      await slaScenario();
    } finally {
      await app.close();
      app = main;
    }
  });

  async function slaScenario() {
    const support = await makeUser(app, "support");
    const agent = await loginAgent(app, support);
    const s = await sock(app, agent.cookie);
    expect(await emitAck(s, "triage:subscribe", {})).toEqual({ ok: true, data: {} });
    const t = await makeCareTeam(app);
    const updates: TriageUpdate[] = [];
    s.on("triage:update", (u) => updates.push(u));
    await say(app, t.patient, t.conversationId, "Feeling fine, weight is down a little");
    expect((await queue(agent)).some((i) => i.conversationId === t.conversationId)).toBe(false);
    await sleep(3200);
    const item = (await queue(agent)).find((i) => i.conversationId === t.conversationId);
    expect(item).toMatchObject({ category: "unanswered", priority: "normal", slaBreached: true });
    // The sweep moves it and tells the room.
    await app.services.triage.sweep();
    await sleep(100);
    expect(updates.flatMap((u) => u.items).some((i) => i.conversationId === t.conversationId)).toBe(true);
    // The physician answers: the episode is over.
    await say(app, t.physician, t.conversationId, "Great to hear, keep it up.");
    expect((await queue(agent)).some((i) => i.conversationId === t.conversationId)).toBe(false);
    await sleep(100);
    expect(updates.some((u) => u.removed.includes(t.conversationId))).toBe(true);
  }

  it("orders older waiting items first within a priority", async () => {
    const agent = await loginAgent(app, await makeUser(app, "support"));
    const a = await makeCareTeam(app);
    const b = await makeCareTeam(app);
    await say(app, a.patient, a.conversationId, "I think I have a lump in my neck");
    await sleep(20);
    await say(app, b.patient, b.conversationId, "There is a lump on my neck since last week");
    const q = (await queue(agent)).filter((i) => [a.conversationId, b.conversationId].includes(i.conversationId));
    expect(q.map((i) => i.conversationId)).toEqual([a.conversationId, b.conversationId]);
    expect(q.every((i) => i.priority === "high" && i.category === "red_flag")).toBe(true);
    // Support raises b to urgent: it jumps ahead of every high item.
    expect((await agent.post(`/api/triage/${b.conversationId}/priority`, { priority: "urgent" })).status).toBe(200);
    const after = (await queue(agent)).filter((i) => [a.conversationId, b.conversationId].includes(i.conversationId));
    expect(after.map((i) => i.conversationId)).toEqual([b.conversationId, a.conversationId]);
  });
});

describe("triage acts", () => {
  it("preview: only on request, clipped, and audited", async () => {
    const support = await makeUser(app, "support");
    const agent = await loginAgent(app, support);
    const t = await makeCareTeam(app);
    const long = `I have severe stomach pain going to my back. ${"It started after dinner and keeps getting worse. ".repeat(6)}`;
    await say(app, t.patient, t.conversationId, long);
    const res = await agent.post(`/api/triage/${t.conversationId}/preview`);
    expect(res.status).toBe(200);
    expect(res.body.preview).toBe(long.slice(0, 140));
    await auditSettled(app);
    const entry = await app.db.models.audit.findOne({ action: "triage:preview", userId: new Types.ObjectId(support.id) }).lean();
    expect(entry).toMatchObject({ outcome: "success", resource: "message" });
    expect(String(entry!.patientId)).toBe(t.patient.id);
    // Others may not.
    for (const who of [t.physician, t.patient]) expect((await (await loginAgent(app, who)).post(`/api/triage/${t.conversationId}/preview`)).status).toBe(403);
  });

  it("claim, then route to a physician of the care team, who is notified", async () => {
    const s1 = await loginAgent(app, await makeUser(app, "support"));
    const s2 = await loginAgent(app, await makeUser(app, "support"));
    const t = await makeCareTeam(app);
    await say(app, t.patient, t.conversationId, "I can't breathe well and my throat is swelling");
    expect((await s1.post(`/api/triage/${t.conversationId}/claim`)).status).toBe(200);
    expect((await s2.post(`/api/triage/${t.conversationId}/claim`)).status).toBe(409);
    // Not a physician of this patient: refused.
    const stranger = await makeUser(app, "physician");
    expect((await s1.post(`/api/triage/${t.conversationId}/route`, { physicianId: stranger.id })).status).toBe(400);
    const doctorSocket = await sock(app, (await loginAgent(app, t.physician)).cookie);
    const notice = nextEvent<TriageRoutedNotice>(doctorSocket, "triage:routed");
    const routed = await s1.post(`/api/triage/${t.conversationId}/route`, { physicianId: t.physician.id });
    expect(routed.status).toBe(200);
    expect(routed.body.item).toMatchObject({ status: "routed", routedTo: t.physician.id, priority: "urgent" });
    expect(await notice).toMatchObject({ conversationId: t.conversationId, patientId: t.patient.id, priority: "urgent", category: "red_flag" });
    // Routed items leave the default queue and show under ?status=routed.
    expect((await queue(s1)).some((i) => i.conversationId === t.conversationId)).toBe(false);
    const routedList = (await s1.get("/api/triage?status=routed")).body.items as TriageItemView[];
    expect(routedList.some((i) => i.conversationId === t.conversationId)).toBe(true);
    await auditSettled(app);
    const actions = (await app.db.models.audit.find({ patientId: new Types.ObjectId(t.patient.id), action: /^triage:/ }).lean()).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(["triage:claim:success", "triage:claim:failure", "triage:route:failure", "triage:route:success"]));
  });

  it("claim shows the claimer's name in the answer, the list and the live push", async () => {
    const support = await makeUser(app, "support");
    const agent = await loginAgent(app, support);
    const watcher = await loginAgent(app, await makeUser(app, "support"));
    const s = await sock(app, watcher.cookie);
    expect(await emitAck(s, "triage:subscribe", {})).toEqual({ ok: true, data: {} });
    const t = await makeCareTeam(app);
    await say(app, t.patient, t.conversationId, "I fainted this morning");
    const pushed = updateFor(s, t.conversationId, (i) => i.claimedBy !== null);
    const res = await agent.post(`/api/triage/${t.conversationId}/claim`);
    expect(res.status).toBe(200);
    expect(res.body.item).toMatchObject({ claimedBy: support.id, claimedByName: support.name });
    expect(await pushed).toMatchObject({ claimedBy: support.id, claimedByName: support.name });
    expect((await queue(watcher)).find((i) => i.conversationId === t.conversationId)).toMatchObject({ claimedBy: support.id, claimedByName: support.name });
    // Still nothing about the patient.
    expect(JSON.stringify(res.body)).not.toContain(t.patient.name);
  });

  it("release: only the claimer or an admin; audited; the queue sees it live; a colleague may then claim", async () => {
    const owner = await makeUser(app, "support");
    const s1 = await loginAgent(app, owner);
    const colleague = await makeUser(app, "support");
    const s2 = await loginAgent(app, colleague);
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    const t = await makeCareTeam(app);
    await say(app, t.patient, t.conversationId, "Please send a refill to my pharmacy");
    const live = await sock(app, s2.cookie);
    expect(await emitAck(live, "triage:subscribe", {})).toEqual({ ok: true, data: {} });

    expect((await s1.post(`/api/triage/${t.conversationId}/claim`)).status).toBe(200);
    // Not the claimer, not an admin: refused, and nothing changes.
    expect((await s2.post(`/api/triage/${t.conversationId}/release`)).status).toBe(403);
    for (const who of [t.physician, t.patient]) expect((await (await loginAgent(app, who)).post(`/api/triage/${t.conversationId}/release`)).status).toBe(403);
    expect((await queue(s2)).find((i) => i.conversationId === t.conversationId)).toMatchObject({ claimedBy: owner.id });

    // The claimer releases: answered and pushed unclaimed.
    const pushed = updateFor(live, t.conversationId, (i) => i.claimedBy === null);
    const released = await s1.post(`/api/triage/${t.conversationId}/release`);
    expect(released.status).toBe(200);
    expect(released.body.item).toMatchObject({ conversationId: t.conversationId, claimedBy: null, claimedByName: null });
    expect(await pushed).toMatchObject({ claimedBy: null, claimedByName: null });
    // Releasing again changes nothing and pushes nothing.
    const quiet = noEvent(live, "triage:update", 300);
    expect((await s1.post(`/api/triage/${t.conversationId}/release`)).status).toBe(200);
    expect(await quiet).toBe(true);

    // A colleague can now claim it, and an admin can free it again.
    expect((await s2.post(`/api/triage/${t.conversationId}/claim`)).body.item).toMatchObject({ claimedBy: colleague.id, claimedByName: colleague.name });
    expect((await admin.post(`/api/triage/${t.conversationId}/release`)).body.item).toMatchObject({ claimedBy: null });
    expect((await admin.post(`/api/triage/${new Types.ObjectId().toHexString()}/release`)).status).toBe(404);

    await auditSettled(app);
    const entries = await app.db.models.audit.find({ action: "triage:release", resourceId: t.conversationId }).lean();
    expect(entries.map((e) => `${e.outcome}:${e.role}`)).toEqual(expect.arrayContaining(["denied:support", "denied:physician", "denied:patient", "success:support", "success:admin"]));
    expect(entries.every((e) => e.resource === "triage")).toBe(true);
    // Acts by support staff carry the patient reference (the refused patient/physician were stopped before the item was read).
    expect(entries.filter((e) => e.role !== "physician" && e.role !== "patient").every((e) => String(e.patientId) === t.patient.id)).toBe(true);
  });

  it("a canned response lands in the chat history from the support user and answers a non-urgent item", async () => {
    const support = await makeUser(app, "support");
    const agent = await loginAgent(app, support);
    const t = await makeCareTeam(app);
    await say(app, t.patient, t.conversationId, "Could someone call me about billing?");
    const res = await agent.post(`/api/triage/${t.conversationId}/respond`, { responseId: "appointment" });
    expect(res.status).toBe(200);
    expect(res.body.item).toBeNull();
    expect((await agent.post(`/api/triage/${t.conversationId}/respond`, { responseId: "free text please" })).status).toBe(400);
    const patientAgent = await loginAgent(app, t.patient);
    const history = (await patientAgent.get(`/api/conversations/${t.conversationId}/messages`)).body.messages as ChatMessage[];
    expect(history.at(-1)).toMatchObject({ senderId: support.id });
    // It is unread for the patient (and for the physician, who did not write it either).
    expect((await patientAgent.get("/api/conversations")).body.conversations[0].unread).toBe(1);
    expect((await (await loginAgent(app, t.physician)).get("/api/conversations")).body.conversations[0].unread).toBe(2);
    expect(history.at(-1)!.body).toMatch(/contact you/);
    expect((await queue(agent)).some((i) => i.conversationId === t.conversationId)).toBe(false);
  });

  it("a canned response moves the physician's open dashboard row live (unread, last contact)", async () => {
    const agent = await loginAgent(app, await makeUser(app, "support"));
    const t = await makeCareTeam(app);
    await say(app, t.patient, t.conversationId, "Could someone call me about billing?");
    const doctor = await sock(app, (await loginAgent(app, t.physician)).cookie);
    expect((await emitAck(doctor, "dashboard:subscribe", {})).ok).toBe(true);
    const rows: DashboardRow[] = [];
    doctor.on("dashboard:update", (u) => rows.push(...u.patients.filter((r) => r.patientId === t.patient.id)));
    await sleep(3000); // the patient's own message has been pushed by now (coalescing: 500 ms, at most 5×)
    rows.length = 0;
    expect((await agent.post(`/api/triage/${t.conversationId}/respond`, { responseId: "appointment" })).status).toBe(200);
    for (let i = 0; i < 50 && !rows.some((r) => r.unread === 2); i++) await sleep(100);
    expect(rows.map((r) => r.unread)).toContain(2);
  });

  it("refuses a canned reply into a conversation whose physician left the care team", async () => {
    const agent = await loginAgent(app, await makeUser(app, "support"));
    const t = await makeCareTeam(app);
    await say(app, t.patient, t.conversationId, "Could someone call me about billing?");
    const next = await makeUser(app, "physician");
    await app.services.admin.setCareTeam({ patientId: t.patient.id, physicianIds: [next.id] }, { resource: "careteam" });
    const res = await agent.post(`/api/triage/${t.conversationId}/respond`, { responseId: "appointment" });
    expect(res.status).toBe(409);
    const stored = await app.db.models.messages.countDocuments({ conversationId: t.conversationId });
    expect(stored).toBe(1);
  });

  it("is for support only", async () => {
    const t = await makeCareTeam(app);
    for (const who of [t.physician, t.patient, await makeUser(app, "admin")]) {
      const agent = await loginAgent(app, who);
      expect((await agent.get("/api/triage")).status).toBe(403);
      const s = await sock(app, agent.cookie);
      expect(await emitAck(s, "triage:subscribe", {})).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    }
  });
});

describe("after hours", () => {
  it("answers a patient once per night with emergency instructions", async () => {
    // A clinic open only on a weekday that is not today (UTC), so now is after hours.
    const today = new Date().getUTCDay();
    const closed = await startTestApp({ CLINIC_TIMEZONE: "UTC", CLINIC_DAYS: String((today + 3) % 7), CLINIC_HOURS: "08:00-18:00" });
    try {
      const t = await makeCareTeam(closed);
      await say(closed, t.patient, t.conversationId, "Question about my dose");
      await say(closed, t.patient, t.conversationId, "And another one");
      const history = (await (await loginAgent(closed, t.patient)).get(`/api/conversations/${t.conversationId}/messages`)).body.messages as ChatMessage[];
      const auto = history.filter((m) => m.senderId === SYSTEM_SENDER_ID);
      expect(auto).toHaveLength(1);
      expect(auto[0]!.body).toBe(AFTER_HOURS_REPLY);
      expect(auto[0]!.body).toMatch(/911/);
      expect(auto[0]!.body).toMatch(/988/);
      // Unread news for the patient; not for the physician, who has the patient's two messages to read.
      expect((await (await loginAgent(closed, t.patient)).get("/api/conversations")).body.conversations[0].unread).toBe(1);
      const physician = await loginAgent(closed, t.physician);
      expect((await physician.get("/api/conversations")).body.conversations[0].unread).toBe(2);
      // Reading up to the reply (an older mark counts messages) leaves it uncounted too.
      const s = await sock(closed, physician.cookie);
      expect((await emitAck(s, "chat:read", { conversationId: t.conversationId, messageId: auto[0]!.id })).ok).toBe(true);
      const counted = history.filter((m) => m.senderId === t.patient.id && m.id <= auto[0]!.id).length;
      expect((await physician.get("/api/conversations")).body.conversations[0].unread).toBe(2 - counted);
    } finally {
      await closed.close();
    }
  });
});
