// @vitest-environment node
import { CONVERSATION_CLOSED, type ConversationSummary, type PublicUser, type SessionEndReason } from "@glp1/shared";
import { beforeEach, describe, expect, it, vi } from "vitest";

type Ack = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string; details?: Record<string, string> } };

/** A Socket.IO client socket the test plays the server for: it records every emit and answers with `answer`. */
class FakeSocket {
  connected = false;
  active = false;
  emitted: { event: string; payload: unknown }[] = [];
  answer: (event: string, payload: unknown) => Ack = () => ({ ok: true, data: { messages: [] } });
  private readonly handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  on(event: string, fn: (...args: unknown[]) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  removeAllListeners() {
    this.handlers.clear();
  }
  connect() {
    this.active = true;
    return this;
  }
  disconnect() {
    this.connected = false;
    this.active = false;
    return this;
  }
  timeout() {
    return {
      emit: (event: string, payload: unknown, ack: (err: unknown, res: unknown) => void) => {
        this.emitted.push({ event, payload });
        ack(null, this.answer(event, payload));
      },
    };
  }
  up() {
    this.connected = true;
    this.fire("connect");
  }
  events(name: string) {
    return this.emitted.filter((e) => e.event === name);
  }
}

const sockets: FakeSocket[] = [];
vi.mock("socket.io-client", () => ({
  io: () => {
    const s = new FakeSocket();
    sockets.push(s);
    return s;
  },
}));

let serverList: ConversationSummary[] = [];
vi.mock("../api.js", () => ({
  api: { conversations: async () => ({ conversations: serverList }) },
  describeError: (e: unknown) => String(e),
}));

const { ChatStore } = await import("./store.js");

const physician = { id: "d1", role: "physician", name: "Dr Chen" } as PublicUser;
const conv = (id: string, patientId: string): ConversationSummary => ({ id, patientId, physicianId: "d1", patientName: `P ${patientId}`, physicianName: "Dr Chen", unread: 0, lastMessageAt: null });
const settle = () => new Promise((r) => setTimeout(r, 0));

function started(me: PublicUser = physician, hooks: Partial<ConstructorParameters<typeof ChatStore>[1]> = {}) {
  const store = new ChatStore(me, { activity: () => undefined, signedOut: () => undefined, ...hooks });
  store.start();
  const socket = sockets.at(-1)!;
  socket.up();
  return { store, socket };
}

beforeEach(() => {
  serverList = [conv("c1", "p1"), conv("c2", "p2")];
});

describe("ChatStore and care-team changes (unit)", () => {
  it("a physician told they lost a patient closes the conversation, drops its messages and live feed, and stops asking after a reconnect", async () => {
    const { store, socket } = started();
    await store.loadConversations();
    socket.answer = (event) => (event === "chat:join" ? { ok: true, data: { messages: [{ id: "m1", conversationId: "c1", senderId: "p1", body: "hi", clientId: "x", createdAt: "2025-01-01T00:00:00Z" }] } } : { ok: true, data: {} });
    store.openConversation("c1");
    store.watchMetrics("p1");
    await settle();
    expect(store.getSnapshot().threads.c1?.stored).toHaveLength(1);

    serverList = [conv("c2", "p2")];
    socket.fire("conversations:changed", { patientId: "p1", lostAccess: true });
    await settle();
    const snap = store.getSnapshot();
    expect(snap.lostPatients).toEqual({ p1: true });
    expect(snap.closed.c1).toEqual({ patientId: "p1" });
    expect(snap.threads.c1).toBeUndefined();
    // The open conversation stays listed (shown closed) until the physician moves away.
    expect(snap.conversations?.map((c) => c.id)).toEqual(["c2", "c1"]);

    socket.emitted = [];
    socket.disconnect();
    socket.up();
    store.openConversation("c1");
    store.typing("c1");
    await settle();
    expect(socket.events("chat:join")).toEqual([]);
    expect(socket.events("chat:typing")).toEqual([]);
    expect(socket.events("metrics:subscribe")).toEqual([]);
    expect((await store.watchMetrics("p1").ready).kind).toBe("error");
    expect(socket.events("metrics:subscribe")).toEqual([]);

    store.closeConversation();
    expect(store.getSnapshot().conversations?.map((c) => c.id)).toEqual(["c2"]);
  });

  it("closes a conversation the server answers as closed, and opens it again when the physician is put back", async () => {
    const { store, socket } = started();
    socket.answer = (event) =>
      event === "chat:join" ? { ok: false, error: { code: "FORBIDDEN", message: "closed", details: { reason: CONVERSATION_CLOSED } } } : { ok: true, data: {} };
    store.openConversation("c9");
    await settle();
    expect(store.getSnapshot().closed.c9).toEqual({ patientId: null });
    expect(store.getSnapshot().threads.c9?.loadError ?? null).toBeNull();
    // The chat panel knows whose it was and closes the record too.
    store.markPatientLost("p9", "c9");
    expect(store.getSnapshot().lostPatients).toEqual({ p9: true });

    socket.answer = () => ({ ok: true, data: { messages: [] } });
    socket.emitted = [];
    socket.fire("conversations:changed", { patientId: "p9", lostAccess: false });
    await settle();
    expect(store.getSnapshot().lostPatients).toEqual({});
    expect(store.getSnapshot().closed).toEqual({});
    expect(socket.events("chat:join")).toEqual([{ event: "chat:join", payload: { conversationId: "c9" } }]);
  });

  it("a patient's list reload closes the conversation of a physician who left, and a patient never marks records lost", async () => {
    const patient = { id: "p1", role: "patient", name: "Aisha" } as PublicUser;
    serverList = [conv("c1", "p1"), conv("c3", "p1")];
    const { store, socket } = started(patient);
    await store.loadConversations();
    serverList = [conv("c3", "p1")];
    socket.fire("conversations:changed", { patientId: "p1", lostAccess: false });
    await settle();
    expect(store.getSnapshot().conversations?.map((c) => c.id)).toEqual(["c3"]);
    expect(store.getSnapshot().closed.c1).toEqual({ patientId: "p1" });
    store.markPatientLost("p1");
    expect(store.getSnapshot().lostPatients).toEqual({});
  });

  it("passes the server's reason for ending the session on", () => {
    const signedOut = vi.fn<(reason: "expired" | "unauthenticated", why?: SessionEndReason) => void>();
    const { socket } = started(physician, { signedOut });
    socket.fire("session:expired", { reason: "account_disabled" });
    expect(signedOut).toHaveBeenCalledWith("expired", "account_disabled");
  });
});
