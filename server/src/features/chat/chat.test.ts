import { type ChatMessage, CONVERSATION_CLOSED } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditSettled,
  type ClientSocket,
  connectSocket,
  emitAck,
  loginAgent,
  makeCareTeam,
  makeUser,
  nextEvent,
  noEvent,
  sleep,
  startTestApp,
  type TestApp,
} from "../../test/harness.js";

let app: TestApp;
const open: ClientSocket[] = [];
afterAll(async () => {
  open.forEach((s) => s.close());
  await app?.close();
});
beforeAll(async () => {
  app = await startTestApp();
});

async function pair() {
  const team = await makeCareTeam(app);
  const patientAgent = await loginAgent(app, team.patient);
  const physicianAgent = await loginAgent(app, team.physician);
  const patientSocket = await connectSocket(app, patientAgent.cookie);
  const physicianSocket = await connectSocket(app, physicianAgent.cookie);
  open.push(patientSocket, physicianSocket);
  return { ...team, patientAgent, physicianAgent, patientSocket, physicianSocket };
}

const clientId = () => `c${Math.random().toString(36).slice(2, 12)}`;

describe("socket handshake", () => {
  it("refuses a connection without a session with UNAUTHENTICATED, and audits it", async () => {
    await expect(connectSocket(app, null)).rejects.toThrow("UNAUTHENTICATED");
    await expect(connectSocket(app, "glp1.sid=s%3Aforged.signature")).rejects.toThrow("UNAUTHENTICATED");
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ action: "socket:rejected", reason: "NO_SESSION" })).toBeGreaterThanOrEqual(2);
  });

  it("refuses a browser handshake from another origin (cross-site WebSocket)", async () => {
    const { patient } = await makeCareTeam(app);
    const agent = await loginAgent(app, patient);
    await expect(connectSocket(app, agent.cookie, { origin: "https://evil.example" })).rejects.toThrow("FORBIDDEN");
    const ok = await connectSocket(app, agent.cookie, { origin: app.config.allowedOrigins[0]! });
    open.push(ok);
    expect(ok.connected).toBe(true);
  });
});

describe("chat between a patient and their physician", () => {
  it("stores, acknowledges and delivers a message to the peer", async () => {
    const p = await pair();
    const joined = await emitAck<{ messages: ChatMessage[] }>(p.physicianSocket, "chat:join", { conversationId: p.conversationId });
    expect(joined.ok).toBe(true);
    const received = nextEvent<{ message: ChatMessage }>(p.physicianSocket, "chat:message");
    const ack = await emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", {
      conversationId: p.conversationId,
      body: "My nausea is better this week",
      clientId: clientId(),
    });
    if (!ack.ok) throw new Error(ack.error.code);
    expect(ack.data.message.body).toBe("My nausea is better this week");
    expect(ack.data.message.senderId).toBe(p.patient.id);
    const got = await received;
    expect(got.message.id).toBe(ack.data.message.id);
    expect(await app.db.models.messages.countDocuments({ conversationId: p.conversationId })).toBe(1);
  });

  it("does not double a message resent with the same clientId", async () => {
    const p = await pair();
    const payload = { conversationId: p.conversationId, body: "Resent after a reconnect", clientId: clientId() };
    const a = await emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", payload);
    const [b, c] = await Promise.all([
      emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", payload),
      emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", payload),
    ]);
    if (!a.ok || !b.ok || !c.ok) throw new Error("send failed");
    expect(b.data.message.id).toBe(a.data.message.id);
    expect(c.data.message.id).toBe(a.data.message.id);
    expect(await app.db.models.messages.countDocuments({ conversationId: p.conversationId })).toBe(1);
  });

  it("refuses to join or post to someone else's conversation, stores nothing, and audits the denial", async () => {
    const mine = await pair();
    const theirs = await makeCareTeam(app);
    const join = await emitAck(mine.patientSocket, "chat:join", { conversationId: theirs.conversationId });
    expect(join).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    const send = await emitAck(mine.physicianSocket, "chat:send", { conversationId: theirs.conversationId, body: "hi", clientId: clientId() });
    expect(send).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(await app.db.models.messages.countDocuments({ conversationId: theirs.conversationId })).toBe(0);
    // An id that does not exist gets the same answer, so ids cannot be probed.
    expect(await emitAck(mine.patientSocket, "chat:join", { conversationId: "0123456789abcdef01234567" })).toEqual(join);
    await auditSettled(app);
    const denied = await app.db.models.audit.find({ userId: mine.physician.id, action: "chat:send", outcome: "denied" }).lean();
    expect(denied).toHaveLength(1);
    expect(denied[0]!.patientId?.toString()).toBe(theirs.patient.id);
    // A non-participant's socket is not in the room: it does not hear the conversation.
    const otherAgent = await loginAgent(app, theirs.patient);
    const other = await connectSocket(app, otherAgent.cookie);
    open.push(other);
    const notOverheard = noEvent(mine.patientSocket, "chat:message", 700);
    await emitAck(other, "chat:send", { conversationId: theirs.conversationId, body: "private", clientId: clientId() });
    expect(await notOverheard).toBe(true);
  });

  it.each([
    ["an operator object", { conversationId: { $gt: "" }, body: "x", clientId: "abcdefgh" }],
    ["an empty body", { conversationId: "0".repeat(24), body: "   ", clientId: "abcdefgh" }],
    ["an oversize body", { conversationId: "0".repeat(24), body: "x".repeat(5000), clientId: "abcdefgh" }],
    ["a body of zero-width spaces only", { conversationId: "0".repeat(24), body: "\u200b\u200b \ufeff", clientId: "abcdefgh" }],
    ["a right-to-left override", { conversationId: "0".repeat(24), body: "see attachment \u202egnp.exe", clientId: "abcdefgh" }],
    ["a control character", { conversationId: "0".repeat(24), body: "bell\u0007", clientId: "abcdefgh" }],
    ["an extra field", { conversationId: "0".repeat(24), body: "x", clientId: "abcdefgh", senderId: "0".repeat(24) }],
    ["no payload at all", undefined],
  ])("answers VALIDATION_FAILED to %s and stores nothing", async (_n, payload) => {
    const p = await pair();
    const before = await app.db.models.messages.estimatedDocumentCount();
    const res = payload === undefined ? await emitAck(p.patientSocket, "chat:send") : await emitAck(p.patientSocket, "chat:send", payload);
    expect(res).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(await app.db.models.messages.estimatedDocumentCount()).toBe(before);
  });

  it("answers an unknown event with UNKNOWN_EVENT and audits it", async () => {
    const p = await pair();
    const res = await emitAck(p.patientSocket, "admin:everything", {});
    expect(res).toMatchObject({ ok: false, error: { code: "UNKNOWN_EVENT" } });
    await auditSettled(app);
    expect(await app.db.models.audit.countDocuments({ userId: p.patient.id, action: "socket:unknown" })).toBe(1);
  });

  it("closes a connection that sends an oversize frame", async () => {
    const p = await pair();
    const closed = new Promise<string>((resolve) => p.patientSocket.once("disconnect", resolve));
    p.patientSocket.emit("chat:send", { conversationId: p.conversationId, body: "x".repeat(200_000), clientId: clientId() }, () => undefined);
    expect(await closed).toMatch(/transport (close|error)/);
    expect(await app.db.models.messages.countDocuments({ conversationId: p.conversationId })).toBe(0);
  });

  it("relays typing to the other side of the conversation", async () => {
    const p = await pair();
    await emitAck(p.physicianSocket, "chat:join", { conversationId: p.conversationId });
    await emitAck(p.patientSocket, "chat:join", { conversationId: p.conversationId });
    const typing = nextEvent<{ conversationId: string; userId: string }>(p.physicianSocket, "chat:typing");
    expect(await emitAck(p.patientSocket, "chat:typing", { conversationId: p.conversationId })).toEqual({ ok: true, data: {} });
    expect(await typing).toEqual({ conversationId: p.conversationId, userId: p.patient.id });
  });

  it("counts unread messages until the reader marks them read", async () => {
    const p = await pair();
    const sent: string[] = [];
    for (const body of ["one", "two", "three"]) {
      const r = await emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", { conversationId: p.conversationId, body, clientId: clientId() });
      if (r.ok) sent.push(r.data.message.id);
    }
    const unread = async () => (await p.physicianAgent.get("/api/conversations")).body.conversations[0].unread as number;
    expect(await unread()).toBe(3);
    await emitAck(p.physicianSocket, "chat:join", { conversationId: p.conversationId });
    expect(await emitAck(p.physicianSocket, "chat:read", { conversationId: p.conversationId, messageId: sent[1] })).toMatchObject({ ok: true });
    expect(await unread()).toBe(1);
    // Marking an older message read does not move the mark back.
    await emitAck(p.physicianSocket, "chat:read", { conversationId: p.conversationId, messageId: sent[0] });
    expect(await unread()).toBe(1);
    // The patient's own messages never count as unread for the patient.
    expect((await p.patientAgent.get("/api/conversations")).body.conversations[0].unread).toBe(0);
  });

  it("keeps unread counts exact through concurrent sends from both sides, resends, and reads in another tab", async () => {
    const p = await pair();
    const secondTab = await connectSocket(app, p.physicianAgent.cookie);
    open.push(secondTab);
    const patientIds = Array.from({ length: 12 }, clientId);
    const physicianIds = Array.from({ length: 5 }, clientId);
    const send = (s: ClientSocket, id: string, i: number) =>
      emitAck<{ message: ChatMessage }>(s, "chat:send", { conversationId: p.conversationId, body: `m${i}`, clientId: id });
    // Both sides at once, and every patient message resent while the first copy is in flight.
    const acks = await Promise.all([
      ...patientIds.flatMap((id, i) => [send(p.patientSocket, id, i), send(p.patientSocket, id, i)]),
      ...physicianIds.map((id, i) => send(p.physicianSocket, id, 100 + i)),
    ]);
    expect(acks.every((a) => a.ok)).toBe(true);
    const unread = async (agent: typeof p.physicianAgent) => (await agent.get("/api/conversations")).body.conversations[0].unread as number;
    expect(await unread(p.physicianAgent)).toBe(12);
    expect(await unread(p.patientAgent)).toBe(5);
    // The dashboard row reads the same counter.
    const row = (await p.physicianAgent.get("/api/dashboard")).body.patients.find((r: { patientId: string }) => r.patientId === p.patient.id);
    expect(row.unread).toBe(12);
    // Reading the newest message in one tab clears the count for every tab; the patient's side is untouched.
    const history = (await p.physicianAgent.get(`/api/conversations/${p.conversationId}/messages?limit=100`)).body.messages as ChatMessage[];
    expect(history).toHaveLength(17);
    expect((await emitAck(secondTab, "chat:read", { conversationId: p.conversationId, messageId: history.at(-1)!.id })).ok).toBe(true);
    expect(await unread(p.physicianAgent)).toBe(0);
    expect(await unread(p.patientAgent)).toBe(5);
    // Then four more; a tab reads up to the second of them: two left.
    const more: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send(p.patientSocket, clientId(), 200 + i);
      if (r.ok) more.push(r.data.message.id);
    }
    expect(await unread(p.physicianAgent)).toBe(4);
    expect((await emitAck(p.physicianSocket, "chat:read", { conversationId: p.conversationId, messageId: more[1] })).ok).toBe(true);
    expect(await unread(p.physicianAgent)).toBe(2);
    // An older mark later (a stale tab) changes nothing.
    expect((await emitAck(secondTab, "chat:read", { conversationId: p.conversationId, messageId: more[0] })).ok).toBe(true);
    expect(await unread(p.physicianAgent)).toBe(2);
  });

  it("gives conversations stored before the counters existed their counts at start-up", async () => {
    const { backfillCounters } = await import("./counters.js");
    const p = await pair();
    const ids: string[] = [];
    for (const body of ["a", "b", "c"]) {
      const r = await emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", { conversationId: p.conversationId, body, clientId: clientId() });
      if (r.ok) ids.push(r.data.message.id);
    }
    await emitAck(p.physicianSocket, "chat:read", { conversationId: p.conversationId, messageId: ids[0] });
    // Make it look like data from before: no counters on the conversation.
    const { conversations } = app.db.models;
    const conv = await conversations.findById(p.conversationId).lean();
    await conversations.collection.updateOne({ _id: conv!._id }, { $unset: { toPhysician: 1, toPatient: 1, physicianReadCount: 1, patientReadCount: 1, lastMessageId: 1 } });
    expect(await backfillCounters(app.db.models)).toBeGreaterThanOrEqual(1);
    const unread = async () => (await p.physicianAgent.get("/api/conversations")).body.conversations[0].unread as number;
    expect(await unread()).toBe(2);
    // A mark on an older message counts up to it.
    await emitAck(p.physicianSocket, "chat:read", { conversationId: p.conversationId, messageId: ids[1] });
    expect(await unread()).toBe(1);
    expect(await backfillCounters(app.db.models)).toBe(0);
  });
});

describe("history over REST", () => {
  it("returns a participant's messages oldest first, pages back with `before`, and refuses others", async () => {
    const p = await pair();
    for (const body of ["first", "second", "third", "fourth"]) {
      await emitAck(p.patientSocket, "chat:send", { conversationId: p.conversationId, body, clientId: clientId() });
    }
    const all = await p.physicianAgent.get(`/api/conversations/${p.conversationId}/messages`);
    expect(all.status).toBe(200);
    expect(all.body.messages.map((m: ChatMessage) => m.body)).toEqual(["first", "second", "third", "fourth"]);
    const page = await p.physicianAgent.get(`/api/conversations/${p.conversationId}/messages?limit=2&before=${all.body.messages[2].id}`);
    expect(page.body.messages.map((m: ChatMessage) => m.body)).toEqual(["first", "second"]);
    const stranger = await makeCareTeam(app);
    const strangerAgent = await loginAgent(app, stranger.physician);
    const denied = await strangerAgent.get(`/api/conversations/${p.conversationId}/messages`);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).not.toContain("first");
    expect((await strangerAgent.get(`/api/conversations/${p.conversationId}/messages?limit[$gt]=1`)).status).toBe(400);
    expect((await strangerAgent.get(`/api/conversations/not-an-id/messages`)).status).toBe(400);
  });

  it("lists only the caller's conversations", async () => {
    const p = await pair();
    await makeCareTeam(app);
    const list = await p.patientAgent.get("/api/conversations");
    expect(list.body.conversations).toHaveLength(1);
    expect(list.body.conversations[0]).toMatchObject({ id: p.conversationId, patientId: p.patient.id, physicianId: p.physician.id, physicianName: p.physician.name });
  });
});

describe("a physician taken off the care team", () => {
  const closed = { ok: false, error: { code: "FORBIDDEN", details: { reason: CONVERSATION_CLOSED } } };

  it("loses the conversation at once: history, join, send, typing and read marks are refused and audited; history stays stored", async () => {
    const p = await pair();
    const sent = await emitAck<{ message: ChatMessage }>(p.patientSocket, "chat:send", { conversationId: p.conversationId, body: "before the change", clientId: clientId() });
    if (!sent.ok) throw new Error(sent.error.code);
    expect(await emitAck(p.physicianSocket, "chat:join", { conversationId: p.conversationId })).toMatchObject({ ok: true });

    const successor = await makeUser(app, "physician");
    await app.services.admin.setCareTeam({ patientId: p.patient.id, physicianIds: [successor.id] }, { resource: "careteam" });

    const history = await p.physicianAgent.get(`/api/conversations/${p.conversationId}/messages`);
    expect(history.status).toBe(403);
    expect(JSON.stringify(history.body)).not.toContain("before the change");
    expect(await emitAck(p.physicianSocket, "chat:join", { conversationId: p.conversationId })).toMatchObject(closed);
    expect(await emitAck(p.physicianSocket, "chat:send", { conversationId: p.conversationId, body: "still here?", clientId: clientId() })).toMatchObject(closed);
    expect(await emitAck(p.physicianSocket, "chat:typing", { conversationId: p.conversationId })).toMatchObject(closed);
    expect(await emitAck(p.physicianSocket, "chat:read", { conversationId: p.conversationId, messageId: sent.data.message.id })).toMatchObject(closed);
    // The patient cannot write into it either: nobody would read it.
    expect(await emitAck(p.patientSocket, "chat:send", { conversationId: p.conversationId, body: "hello?", clientId: clientId() })).toMatchObject(closed);

    // Nothing was deleted; nothing was added.
    const stored = await app.db.models.messages.find({ conversationId: p.conversationId }).lean();
    expect(stored).toHaveLength(1);
    await auditSettled(app);
    const denied = await app.db.models.audit.find({ userId: p.physician.id, outcome: "denied", action: { $in: ["chat:history", "chat:join", "chat:send", "chat:typing", "chat:read"] } }).lean();
    expect(denied.map((e) => e.action).sort()).toEqual(["chat:history", "chat:join", "chat:read", "chat:send", "chat:typing"]);
    expect(denied.every((e) => String(e.patientId) === p.patient.id)).toBe(true);
  });

  it("drops out of both sides' conversation lists, and comes back when the physician is put back", async () => {
    const p = await pair();
    const successor = await makeUser(app, "physician");
    const ids = async (agent: typeof p.patientAgent) => ((await agent.get("/api/conversations")).body.conversations as { id: string; physicianId: string }[]).map((c) => c.physicianId);

    await app.services.admin.setCareTeam({ patientId: p.patient.id, physicianIds: [successor.id] }, { resource: "careteam" });
    expect(await ids(p.patientAgent)).toEqual([successor.id]);
    expect(await ids(p.physicianAgent)).toEqual([]);

    // Both on the team again: the old conversation (and its history) is back, not a new one.
    await app.services.admin.setCareTeam({ patientId: p.patient.id, physicianIds: [p.physician.id, successor.id] }, { resource: "careteam" });
    expect((await ids(p.patientAgent)).sort()).toEqual([p.physician.id, successor.id].sort());
    expect(await ids(p.physicianAgent)).toEqual([p.physician.id]);
    expect((await p.physicianAgent.get(`/api/conversations/${p.conversationId}/messages`)).status).toBe(200);
    expect(await emitAck(p.physicianSocket, "chat:join", { conversationId: p.conversationId })).toMatchObject({ ok: true });
  });

  it("keeps a physician's other patients untouched", async () => {
    const p = await pair();
    const other = await makeUser(app, "patient");
    await app.services.admin.setCareTeam({ patientId: other.id, physicianIds: [p.physician.id] }, { resource: "careteam" });
    await app.services.admin.setCareTeam({ patientId: p.patient.id, physicianIds: [(await makeUser(app, "physician")).id] }, { resource: "careteam" });
    const list = (await p.physicianAgent.get("/api/conversations")).body.conversations as { patientId: string }[];
    expect(list.map((c) => c.patientId)).toEqual([other.id]);
  });
});

describe("sessions and sockets", () => {
  it("logout ends every socket of that session, sending session:expired first", async () => {
    const p = await pair();
    const second = await connectSocket(app, p.patientAgent.cookie);
    open.push(second);
    const expired = [nextEvent(p.patientSocket, "session:expired"), nextEvent(second, "session:expired")];
    const disconnected = new Promise((r) => second.once("disconnect", r));
    expect((await p.patientAgent.post("/api/auth/logout")).status).toBe(204);
    expect(await Promise.all(expired)).toEqual([{ reason: "signed_out" }, { reason: "signed_out" }]);
    await disconnected;
    // The physician's sockets are untouched.
    expect(p.physicianSocket.connected).toBe(true);
    await expect(connectSocket(app, p.patientAgent.cookie ?? "glp1.sid=gone")).rejects.toThrow("UNAUTHENTICATED");
  });

  it("logs off a dashboard left open past the idle timeout even while it receives pushes", async () => {
    const short = await startTestApp({ SESSION_IDLE_MINUTES: String(1.5 / 60) });
    try {
      const team = await makeCareTeam(short);
      const watcher = await connectSocket(short, (await loginAgent(short, team.physician)).cookie);
      const talker = await connectSocket(short, (await loginAgent(short, team.patient)).cookie);
      await emitAck(watcher, "chat:join", { conversationId: team.conversationId });
      const expired = nextEvent(watcher, "session:expired", 6000);
      let pushes = 0;
      watcher.on("chat:message", () => (pushes += 1));
      // The patient keeps talking (renewing only the patient's session); the physician only listens.
      for (let i = 0; i < 6; i++) {
        await emitAck(talker, "chat:send", { conversationId: team.conversationId, body: `reading ${i}`, clientId: clientId() });
        await sleep(400);
      }
      expect(await expired).toEqual({ reason: "idle" });
      expect(pushes).toBeGreaterThan(0);
      await sleep(100);
      expect(watcher.connected).toBe(false);
      expect(talker.connected).toBe(true);
      talker.close();
    } finally {
      await short.close();
    }
  });
});
