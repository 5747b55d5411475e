/**
 * Live chat state for one signed-in user: the socket, the conversation list with unread
 * counts, each conversation's messages, the user's unacknowledged messages, typing and read
 * receipts. React reads it through `useSyncExternalStore` (see `useChat`).
 *
 * Nothing here is written to localStorage or any other storage: messages are PHI and live in
 * memory only, and `stop()` drops them.
 */
import { io, type Socket } from "socket.io-client";
import {
  CONVERSATION_CLOSED,
  HISTORY_DEFAULT_LIMIT,
  type Ack,
  type ChatMessage,
  type ClientEventName,
  type ClientToServerEvents,
  type ConversationSummary,
  type ErrorBody,
  type PublicUser,
  type SessionEndReason,
  type ServerToClientEvents,
} from "@glp1/shared";

/** Pushes the clinical and staff views listen to (the chat ones are handled here). */
export const CLINICAL_PUSHES = [
  "metrics:update",
  "alert:new",
  "alert:updated",
  "alert:instructions",
  "task:new",
  "dashboard:update",
  "triage:update",
  "triage:routed",
  "anomaly:new",
  /** Also handled here (the list reloads, closed conversations close); views may listen too. */
  "conversations:changed",
] as const;
export type ClinicalPush = (typeof CLINICAL_PUSHES)[number];
type PushPayload<E extends ClinicalPush> = Parameters<ServerToClientEvents[E]>[0];
import { api, describeError } from "../api.js";
import { mergeMessages, newClientId, type PendingMessage } from "./merge.js";

export const ACK_TIMEOUT_MS = 10_000;
export const TYPING_THROTTLE_MS = 2_000;
export const TYPING_SHOW_MS = 3_000;
const RESEND_DELAY_MS = 5_000;

export type ClinicSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type Payload<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
/** Room subscriptions that take no payload and have no unsubscribe event. */
export type FeedEvent = "dashboard:subscribe" | "triage:subscribe";
type AckData<E extends ClientEventName> =
  Parameters<ClientToServerEvents[E]>[1] extends (ack: Ack<infer T>) => void ? T : never;

export type EmitResult<T> =
  | { kind: "ok"; data: T }
  | { kind: "error"; error: ErrorBody }
  /** No acknowledgement within ACK_TIMEOUT_MS: the server may or may not have acted. */
  | { kind: "timeout" }
  /** Not connected: nothing was sent. */
  | { kind: "offline" };

/** `socket.timeout(ms).emit` without the per-event generics, for the one generic helper below. */
interface LooseTimeoutEmitter {
  emit(event: string, payload: unknown, callback: (err: unknown, ack: unknown) => void): unknown;
}

/** `offline`: the browser says it has no network (`navigator.onLine`); the socket is closed until it is back. */
export type Connection = "connecting" | "connected" | "reconnecting" | "offline";

/** The browser knows it has no network at all (`navigator.onLine` false; "true" only means "maybe"). */
const browserOffline = (): boolean => typeof navigator !== "undefined" && navigator.onLine === false;

export interface Thread {
  stored: ChatMessage[];
  /** History received since the conversation was opened. */
  loaded: boolean;
  loadError: string | null;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** The other participant currently typing, if any. */
  typingUserId: string | null;
  /** The latest message the other participant has read. */
  peerReadId: string | null;
}

/** A closed conversation: whose patient it was, when known (an answer from the server may not say). */
export interface ClosedConversation {
  patientId: string | null;
}

export interface ChatSnapshot {
  connection: Connection;
  conversations: ConversationSummary[] | null;
  conversationsError: string | null;
  /** A message arrived for a conversation not in the list: offer a refresh. */
  listStale: boolean;
  activeId: string | null;
  threads: Readonly<Record<string, Thread>>;
  pending: readonly PendingMessage[];
  /**
   * Conversations closed to this user: their physician left the patient's care team. Never
   * joined or written to again; their messages are dropped from memory.
   */
  closed: Readonly<Record<string, ClosedConversation>>;
  /** Physician: patients whose care team this physician is no longer on (their record is closed too). */
  lostPatients: Readonly<Record<string, true>>;
}

export interface ChatStoreHooks {
  /** The server saw a user-initiated event sent at `sentAt` (its idle timer restarted). */
  activity(sentAt: number): void;
  /** The server refused an event because this staff session has no second factor yet. */
  mfaRequired?(): void;
  /**
   * The session is gone: `expired` when the server said so (with its reason, when it gave
   * one), `unauthenticated` when refused.
   */
  signedOut(reason: "expired" | "unauthenticated", why?: SessionEndReason): void;
}

const EMPTY_THREAD: Thread = {
  stored: [],
  loaded: false,
  loadError: null,
  hasOlder: false,
  loadingOlder: false,
  typingUserId: null,
  peerReadId: null,
};

const INITIAL: ChatSnapshot = {
  connection: "connecting",
  conversations: null,
  conversationsError: null,
  listStale: false,
  activeId: null,
  threads: {},
  pending: [],
  closed: {},
  lostPatients: {},
};

const TRANSIENT_CODES = new Set(["RATE_LIMITED", "INTERNAL", "AUDIT_UNAVAILABLE"]);
const SESSION_GONE_CODES = new Set(["UNAUTHENTICATED", "SESSION_EXPIRED"]);

export class ChatStore {
  private snapshot: ChatSnapshot = INITIAL;
  private readonly listeners = new Set<() => void>();
  private socket: ClinicSocket | null = null;
  private stopped = true;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly resendTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastTypingSent = new Map<string, number>();
  private readonly lastReadSent = new Map<string, string>();
  private readonly inflight = new Set<string>();
  private readonly pushListeners = new Map<ClinicalPush, Set<(payload: never) => void>>();
  /** Patients whose live metric feed is wanted (re-subscribed after every reconnect). */
  private readonly metricFeeds = new Map<string, number>();
  /** Room feeds wanted (`dashboard:subscribe`, `triage:subscribe`), re-subscribed after every reconnect. */
  private readonly roomFeeds = new Map<FeedEvent, number>();
  /** Called after every (re)connect: views holding REST data catch up on what they missed. */
  private readonly connectListeners = new Set<() => void>();
  /** The browser reported `offline` and has not reported `online` since. */
  private offline = false;

  constructor(
    readonly me: PublicUser,
    private readonly hooks: ChatStoreHooks,
  ) {}

  // ---- React binding -------------------------------------------------------------------

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): ChatSnapshot => this.snapshot;

  private set(patch: Partial<ChatSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }

  private setThread(id: string, update: (thread: Thread) => Thread): void {
    const current = this.snapshot.threads[id] ?? EMPTY_THREAD;
    this.set({ threads: { ...this.snapshot.threads, [id]: update(current) } });
  }

  private setSummary(id: string, update: (c: ConversationSummary) => ConversationSummary): boolean {
    const list = this.snapshot.conversations;
    if (!list) return true;
    const index = list.findIndex((c) => c.id === id);
    if (index === -1) return false;
    const next = list.slice();
    next[index] = update(list[index] as ConversationSummary);
    this.set({ conversations: next });
    return true;
  }

  private setPending(clientId: string, patch: Partial<PendingMessage> | null): void {
    const pending =
      patch === null
        ? this.snapshot.pending.filter((p) => p.clientId !== clientId)
        : this.snapshot.pending.map((p) => (p.clientId === clientId ? { ...p, ...patch } : p));
    this.set({ pending });
  }

  // ---- lifecycle -----------------------------------------------------------------------

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.offline = browserOffline();
    this.snapshot = this.offline ? { ...INITIAL, connection: "offline" } : INITIAL;
    const socket: ClinicSocket = io({ transports: ["websocket"], withCredentials: true, autoConnect: false });
    this.socket = socket;
    if (typeof window !== "undefined") {
      window.addEventListener("offline", this.onBrowserOffline);
      window.addEventListener("online", this.onBrowserOnline);
    }

    socket.on("connect", () => this.onConnect());
    socket.on("disconnect", (reason) => {
      if (this.stopped) return;
      this.set({ connection: this.offline ? "offline" : "reconnecting" });
      if (this.offline) return; // `online` reconnects
      // The server closed this socket on purpose (a node shutting down, or the session ended).
      // Socket.IO will not retry by itself; a fresh handshake tells the two apart.
      if (reason === "io server disconnect") this.scheduleReconnect(1_000);
    });
    socket.on("connect_error", (err) => {
      if (this.stopped) return;
      if (SESSION_GONE_CODES.has(err.message)) {
        this.hooks.signedOut("unauthenticated");
        return;
      }
      this.set({ connection: this.offline ? "offline" : "reconnecting" });
      // A refused handshake (middleware error) is not retried by Socket.IO; transport errors are.
      if (!socket.active && !this.offline) this.scheduleReconnect(3_000);
    });
    socket.on("session:expired", (payload) => {
      if (!this.stopped) this.hooks.signedOut("expired", payload?.reason);
    });
    socket.on("conversations:changed", ({ patientId, lostAccess }) => {
      if (!this.stopped) this.onCareTeamChanged(patientId, lostAccess);
    });
    socket.on("chat:message", ({ message }) => {
      if (!this.stopped) this.receive(message);
    });
    socket.on("chat:typing", ({ conversationId, userId }) => {
      if (!this.stopped) this.onTyping(conversationId, userId);
    });
    socket.on("chat:read", ({ conversationId, userId, messageId }) => {
      if (!this.stopped) this.onRead(conversationId, userId, messageId);
    });
    for (const event of CLINICAL_PUSHES) {
      (socket as unknown as { on(e: string, fn: (p: unknown) => void): void }).on(event, (payload) => {
        if (this.stopped) return;
        for (const fn of this.pushListeners.get(event) ?? []) (fn as (p: unknown) => void)(payload);
      });
    }
    // Even when the browser says offline: a server on this machine may still answer.
    socket.connect();
  }

  /**
   * The browser lost its network. Socket.IO would only notice after its heartbeat times out
   * (up to 45 s of "Live" while sends go nowhere), so say "Offline" now and close the socket:
   * sends queue at once and are resent on reconnect.
   */
  private readonly onBrowserOffline = (): void => {
    if (this.stopped) return;
    this.offline = true;
    clearTimeout(this.reconnectTimer);
    this.set({ connection: "offline" });
    this.socket?.disconnect();
  };

  /** The network is back: "Reconnecting…" until the socket has connected again. */
  private readonly onBrowserOnline = (): void => {
    if (this.stopped) return;
    this.offline = false;
    const socket = this.socket;
    if (!socket) return;
    if (socket.connected) {
      this.set({ connection: "connected" });
      return;
    }
    this.set({ connection: "reconnecting" });
    // Start over now rather than wait out Socket.IO's back-off (up to 5 s).
    socket.disconnect();
    socket.connect();
  };

  /** Disconnects and forgets everything (PHI included). Safe to call twice. */
  stop(): void {
    this.stopped = true;
    this.offline = false;
    if (typeof window !== "undefined") {
      window.removeEventListener("offline", this.onBrowserOffline);
      window.removeEventListener("online", this.onBrowserOnline);
    }
    clearTimeout(this.reconnectTimer);
    for (const t of this.typingTimers.values()) clearTimeout(t);
    for (const t of this.resendTimers.values()) clearTimeout(t);
    this.typingTimers.clear();
    this.resendTimers.clear();
    this.lastTypingSent.clear();
    this.lastReadSent.clear();
    this.inflight.clear();
    this.metricFeeds.clear();
    this.roomFeeds.clear();
    this.connectListeners.clear();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.set({ ...INITIAL });
  }

  private scheduleReconnect(delayMs: number): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      const socket = this.socket;
      if (!this.stopped && !this.offline && socket && !socket.connected && !socket.active) socket.connect();
    }, delayMs);
  }

  private onConnect(): void {
    clearTimeout(this.reconnectTimer);
    this.set({ connection: "connected" });
    // Catch up from the server after every (re)connect: whatever was missed while away.
    const active = this.snapshot.activeId;
    if (active && !this.snapshot.closed[active]) void this.join(active, false);
    // Socket rooms do not survive a reconnect: join the wanted metric feeds again.
    for (const patientId of this.metricFeeds.keys()) {
      if (!this.snapshot.lostPatients[patientId]) void this.emit("metrics:subscribe", { patientId }, false);
    }
    for (const event of this.roomFeeds.keys()) void this.emit(event, {}, false);
    for (const fn of this.connectListeners) fn();
    // Resend what was never acknowledged, with the same clientId: the server deduplicates.
    for (const p of this.snapshot.pending) {
      if (p.state !== "failed") void this.deliver(p.clientId, false);
    }
  }

  // ---- emitting ------------------------------------------------------------------------

  private emit<E extends ClientEventName>(
    event: E,
    payload: Payload<E>,
    userInitiated: boolean,
  ): Promise<EmitResult<AckData<E>>> {
    const socket = this.socket;
    // Never let Socket.IO buffer events while offline: we resend ourselves on reconnect.
    if (!socket || !socket.connected) return Promise.resolve({ kind: "offline" });
    const sentAt = Date.now();
    return new Promise((resolve) => {
      const emitter = socket.timeout(ACK_TIMEOUT_MS) as unknown as LooseTimeoutEmitter;
      emitter.emit(event, payload, (err, raw) => {
        if (err) {
          resolve({ kind: "timeout" });
          return;
        }
        const ack = raw as Ack<AckData<E>> | null | undefined;
        if (ack && ack.ok === true) {
          if (userInitiated && !this.stopped) this.hooks.activity(sentAt);
          resolve({ kind: "ok", data: ack.data });
          return;
        }
        const error: ErrorBody =
          ack && ack.ok === false && ack.error
            ? ack.error
            : { code: "INTERNAL", message: "The server gave an unexpected answer." };
        // The conversation's physician left the care team: close it, never ask again.
        const closedId = (payload as { conversationId?: unknown } | undefined)?.conversationId;
        if (error.details?.reason === CONVERSATION_CLOSED && typeof closedId === "string" && !this.stopped) {
          this.closeConversations([closedId], null);
        }
        if (SESSION_GONE_CODES.has(error.code)) {
          if (!this.stopped) this.hooks.signedOut("unauthenticated");
        } else if (error.code === "MFA_ENROLLMENT_REQUIRED") {
          if (!this.stopped) this.hooks.mfaRequired?.();
        } else if (userInitiated && !this.stopped) {
          this.hooks.activity(sentAt);
        }
        resolve({ kind: "error", error });
      });
    });
  }

  // ---- clinical: acknowledged requests, pushes, live metric feeds ----------------------

  /** A user-initiated request over the socket (metrics:report, alert:ack…), answered by its ack. */
  request<E extends ClientEventName>(event: E, payload: Payload<E>): Promise<EmitResult<AckData<E>>> {
    return this.emit(event, payload, true);
  }

  /** Listen to a clinical push; returns the unsubscribe function. */
  onPush<E extends ClinicalPush>(event: E, listener: (payload: PushPayload<E>) => void): () => void {
    let set = this.pushListeners.get(event);
    if (!set) {
      set = new Set();
      this.pushListeners.set(event, set);
    }
    const fn = listener as (payload: never) => void;
    set.add(fn);
    return () => {
      this.pushListeners.get(event)?.delete(fn);
    };
  }

  /**
   * Watch a patient's readings live (`metrics:update`). Counted, so two views may watch the
   * same patient; when the last one stops, the server is told to stop sending (no PHI for a
   * patient nobody is looking at). Resolves with the subscription's outcome.
   */
  watchMetrics(patientId: string): { ready: Promise<EmitResult<Record<string, never>>>; stop: () => void } {
    this.metricFeeds.set(patientId, (this.metricFeeds.get(patientId) ?? 0) + 1);
    const ready: Promise<EmitResult<Record<string, never>>> = this.snapshot.lostPatients[patientId]
      ? Promise.resolve({ kind: "error", error: { code: "FORBIDDEN", message: "You are no longer on this patient's care team." } })
      : this.emit("metrics:subscribe", { patientId }, false);
    let stopped = false;
    return {
      ready,
      stop: () => {
        if (stopped) return;
        stopped = true;
        const n = (this.metricFeeds.get(patientId) ?? 1) - 1;
        if (n <= 0) {
          this.metricFeeds.delete(patientId);
          void this.emit("metrics:unsubscribe", { patientId }, false);
        } else this.metricFeeds.set(patientId, n);
      },
    };
  }

  /**
   * Join a room feed (`dashboard:subscribe` once; the server then pushes `dashboard:update`).
   * Re-joined after every reconnect. There is no unsubscribe event: when the last watcher
   * stops, pushes that still arrive are simply not listened to.
   */
  watchFeed(event: FeedEvent): { ready: Promise<EmitResult<Record<string, never>>>; stop: () => void } {
    this.roomFeeds.set(event, (this.roomFeeds.get(event) ?? 0) + 1);
    const ready = this.emit(event, {}, false);
    let stopped = false;
    return {
      ready,
      stop: () => {
        if (stopped) return;
        stopped = true;
        const n = (this.roomFeeds.get(event) ?? 1) - 1;
        if (n <= 0) this.roomFeeds.delete(event);
        else this.roomFeeds.set(event, n);
      },
    };
  }

  /** Listen to (re)connects; returns the unsubscribe function. */
  onConnected(listener: () => void): () => void {
    this.connectListeners.add(listener);
    return () => {
      this.connectListeners.delete(listener);
    };
  }

  /** Connected right now (pushes flow). */
  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  // ---- conversations -------------------------------------------------------------------

  async loadConversations(): Promise<void> {
    try {
      const { conversations } = await api.conversations();
      if (this.stopped) return;
      const listed = new Set(conversations.map((c) => c.id));
      // Gone from the list: the physician left the care team (conversations are never deleted).
      const gone = (this.snapshot.conversations ?? []).filter((c) => !listed.has(c.id) && !this.snapshot.closed[c.id]);
      // Listed again: put back on the care team.
      const closed = Object.fromEntries(Object.entries(this.snapshot.closed).filter(([id]) => !listed.has(id)));
      const lostPatients = Object.fromEntries(
        Object.entries(this.snapshot.lostPatients).filter(([id]) => !conversations.some((c) => c.patientId === id)),
      ) as Record<string, true>;
      // A physician's open conversation stays listed (shown closed) until they move away.
      const active = this.snapshot.activeId;
      const onScreen = this.me.role === "physician" ? (this.snapshot.conversations ?? []).find((c) => c.id === active && !listed.has(c.id)) : undefined;
      this.set({ conversations: onScreen ? [...conversations, onScreen] : conversations, conversationsError: null, listStale: false, closed, lostPatients });
      for (const c of gone) this.closeConversations([c.id], c.patientId);
    } catch (error) {
      if (this.stopped) return;
      this.set({ conversationsError: describeError(error) });
    }
  }

  /** Shows a conversation: joins its room and fetches recent history. */
  openConversation(id: string): void {
    this.set({ activeId: id });
    this.setThread(id, (t) => ({ ...t, loadError: null }));
    if (this.socket?.connected && !this.snapshot.closed[id]) void this.join(id, true);
    // Otherwise onConnect joins the active conversation.
  }

  closeConversation(): void {
    const list = this.snapshot.conversations;
    const open = list?.filter((c) => !this.snapshot.closed[c.id]);
    // A closed conversation kept on the list while it was on screen leaves it now.
    this.set(list && open && open.length !== list.length ? { activeId: null, conversations: open } : { activeId: null });
  }

  // ---- care-team changes ---------------------------------------------------------------

  /** `conversations:changed`: a care team that concerns this user changed. */
  private onCareTeamChanged(patientId: string, lostAccess: boolean): void {
    if (lostAccess) this.markPatientLost(patientId);
    else this.patientRestored(patientId);
    // Only a list a view has loaded is reloaded (a physician's loads on demand).
    if (this.snapshot.conversations !== null) void this.loadConversations();
  }

  /**
   * Physician: this patient's care team no longer includes me (a push said so, or the
   * server refused their record or conversation). Their conversations close, their live
   * feed is dropped and not asked for again after a reconnect, and the record shows that
   * access ended: asking again would only be refused (and raise a security anomaly).
   * `conversationId`: one of theirs, when the list does not have it.
   */
  markPatientLost(patientId: string, conversationId?: string): void {
    if (this.me.role !== "physician") return;
    if (!this.snapshot.lostPatients[patientId]) {
      this.metricFeeds.delete(patientId);
      this.set({ lostPatients: { ...this.snapshot.lostPatients, [patientId]: true } });
    }
    const ids = (this.snapshot.conversations ?? []).filter((c) => c.patientId === patientId).map((c) => c.id);
    if (conversationId) ids.push(conversationId);
    this.closeConversations(ids, patientId);
  }

  /** Put back on a patient's care team: their conversations and record open again. */
  private patientRestored(patientId: string): void {
    const reopened = Object.entries(this.snapshot.closed).filter(([, c]) => c.patientId === patientId).map(([id]) => id);
    if (!this.snapshot.lostPatients[patientId] && reopened.length === 0) return;
    const { [patientId]: _lost, ...lostPatients } = this.snapshot.lostPatients;
    const closed = Object.fromEntries(Object.entries(this.snapshot.closed).filter(([id]) => !reopened.includes(id)));
    this.set({ lostPatients, closed });
    const active = this.snapshot.activeId;
    if (active && reopened.includes(active) && this.socket?.connected) void this.join(active, false);
  }

  /** Close conversations: never joined or written to again, their messages dropped from memory. */
  private closeConversations(ids: readonly string[], patientId: string | null): void {
    const fresh = ids.filter((id) => !this.snapshot.closed[id] || (patientId && !this.snapshot.closed[id]?.patientId));
    if (fresh.length === 0) return;
    const closed = { ...this.snapshot.closed };
    const threads = { ...this.snapshot.threads };
    for (const id of fresh) {
      closed[id] = { patientId };
      delete threads[id];
      clearTimeout(this.typingTimers.get(id));
      this.typingTimers.delete(id);
      this.lastTypingSent.delete(id);
      this.lastReadSent.delete(id);
    }
    // Unsent messages there can never be delivered.
    const pending = this.snapshot.pending.filter((p) => {
      if (!fresh.includes(p.conversationId)) return true;
      clearTimeout(this.resendTimers.get(p.clientId));
      this.resendTimers.delete(p.clientId);
      return false;
    });
    this.set({ closed, threads, pending });
  }

  private async join(id: string, userInitiated: boolean): Promise<void> {
    const result = await this.emit("chat:join", { conversationId: id }, userInitiated);
    if (this.stopped) return;
    switch (result.kind) {
      case "ok": {
        const { messages } = result.data;
        this.setThread(id, (t) => ({
          ...t,
          stored: mergeMessages(t.stored, messages),
          hasOlder: t.loaded ? t.hasOlder : messages.length >= HISTORY_DEFAULT_LIMIT,
          loaded: true,
          loadError: null,
        }));
        this.noteLatest(id);
        break;
      }
      case "offline":
        break; // joined on connect
      case "timeout":
        this.setThread(id, (t) => ({ ...t, loadError: "The conversation did not load in time." }));
        break;
      case "error":
        if (this.snapshot.closed[id]) break; // shown as closed, not as a failure to retry
        this.setThread(id, (t) => ({ ...t, loadError: result.error.message || "The conversation could not be loaded." }));
        break;
    }
  }

  async loadOlder(id: string): Promise<void> {
    const thread = this.snapshot.threads[id];
    const oldest = thread?.stored[0];
    if (!thread || !oldest || thread.loadingOlder) return;
    this.setThread(id, (t) => ({ ...t, loadingOlder: true }));
    try {
      const { messages } = await api.messages(id, { limit: HISTORY_DEFAULT_LIMIT, before: oldest.id });
      if (this.stopped) return;
      this.setThread(id, (t) => ({
        ...t,
        stored: mergeMessages(t.stored, messages),
        hasOlder: messages.length >= HISTORY_DEFAULT_LIMIT,
        loadingOlder: false,
      }));
    } catch (error) {
      if (this.stopped) return;
      this.setThread(id, (t) => ({ ...t, loadingOlder: false, loadError: describeError(error) }));
    }
  }

  /** Keeps the list's `lastMessageAt` in step with what we hold. */
  private noteLatest(id: string): void {
    const last = this.snapshot.threads[id]?.stored.at(-1);
    if (!last) return;
    this.setSummary(id, (c) =>
      c.lastMessageAt && c.lastMessageAt >= last.createdAt ? c : { ...c, lastMessageAt: last.createdAt },
    );
  }

  // ---- inbound -------------------------------------------------------------------------

  private receive(message: ChatMessage): void {
    const id = message.conversationId;
    const fromMe = message.senderId === this.me.id;
    const known = this.snapshot.threads[id]?.stored.some((m) => m.id === message.id) ?? false;
    this.setThread(id, (t) => ({
      ...t,
      stored: mergeMessages(t.stored, [message]),
      typingUserId: t.typingUserId === message.senderId ? null : t.typingUserId,
    }));
    if (fromMe && this.snapshot.pending.some((p) => p.clientId === message.clientId)) {
      this.setPending(message.clientId, null);
      clearTimeout(this.resendTimers.get(message.clientId));
      this.resendTimers.delete(message.clientId);
    }
    const inView =
      this.snapshot.activeId === id && typeof document !== "undefined" && document.visibilityState === "visible";
    const listed = this.setSummary(id, (c) => ({
      ...c,
      unread: !fromMe && !known && !inView ? c.unread + 1 : c.unread,
      lastMessageAt: c.lastMessageAt && c.lastMessageAt >= message.createdAt ? c.lastMessageAt : message.createdAt,
    }));
    if (!listed) this.set({ listStale: true });
  }

  private onTyping(conversationId: string, userId: string): void {
    if (userId === this.me.id) return;
    this.setThread(conversationId, (t) => ({ ...t, typingUserId: userId }));
    clearTimeout(this.typingTimers.get(conversationId));
    this.typingTimers.set(
      conversationId,
      setTimeout(() => {
        this.typingTimers.delete(conversationId);
        if (!this.stopped) this.setThread(conversationId, (t) => ({ ...t, typingUserId: null }));
      }, TYPING_SHOW_MS),
    );
  }

  private onRead(conversationId: string, userId: string, messageId: string): void {
    if (userId === this.me.id) {
      // Read in another tab of ours.
      this.lastReadSent.set(conversationId, messageId);
      this.setSummary(conversationId, (c) => (c.unread === 0 ? c : { ...c, unread: 0 }));
      return;
    }
    this.setThread(conversationId, (t) => ({ ...t, peerReadId: messageId }));
  }

  // ---- outbound ------------------------------------------------------------------------

  send(conversationId: string, body: string): void {
    const pending: PendingMessage = {
      clientId: newClientId(),
      conversationId,
      body,
      createdAt: new Date().toISOString(),
      state: "sending",
    };
    this.set({ pending: [...this.snapshot.pending, pending] });
    this.lastTypingSent.delete(conversationId);
    void this.deliver(pending.clientId, true);
  }

  /** Sends (or resends, with the same clientId) one of the user's pending messages. */
  private async deliver(clientId: string, userInitiated: boolean): Promise<void> {
    const pending = this.snapshot.pending.find((p) => p.clientId === clientId);
    if (!pending || this.inflight.has(clientId)) return;
    clearTimeout(this.resendTimers.get(clientId));
    this.resendTimers.delete(clientId);
    if (!this.socket?.connected) {
      this.setPending(clientId, { state: "queued" });
      return;
    }
    this.inflight.add(clientId);
    this.setPending(clientId, { state: "sending", error: undefined });
    const result = await this.emit(
      "chat:send",
      { conversationId: pending.conversationId, body: pending.body, clientId },
      userInitiated,
    );
    this.inflight.delete(clientId);
    if (this.stopped) return;
    switch (result.kind) {
      case "ok":
        this.setPending(clientId, null);
        this.receive(result.data.message);
        break;
      case "offline":
        this.setPending(clientId, { state: "queued" });
        break;
      case "timeout":
        this.setPending(clientId, { state: "queued" });
        this.scheduleResend(clientId);
        break;
      case "error":
        if (TRANSIENT_CODES.has(result.error.code)) {
          this.setPending(clientId, { state: "queued", error: result.error.message });
          this.scheduleResend(clientId);
        } else {
          this.setPending(clientId, { state: "failed", error: result.error.message || "The message was not accepted." });
        }
        break;
    }
  }

  private scheduleResend(clientId: string): void {
    clearTimeout(this.resendTimers.get(clientId));
    this.resendTimers.set(
      clientId,
      setTimeout(() => {
        this.resendTimers.delete(clientId);
        if (!this.stopped) void this.deliver(clientId, false);
      }, RESEND_DELAY_MS),
    );
  }

  retry(clientId: string): void {
    void this.deliver(clientId, true);
  }

  discard(clientId: string): void {
    clearTimeout(this.resendTimers.get(clientId));
    this.resendTimers.delete(clientId);
    if (!this.inflight.has(clientId)) this.setPending(clientId, null);
  }

  /** The user is typing: tell the other side, at most once per TYPING_THROTTLE_MS. */
  typing(conversationId: string): void {
    const now = Date.now();
    const last = this.lastTypingSent.get(conversationId) ?? 0;
    if (now - last < TYPING_THROTTLE_MS || !this.socket?.connected || this.snapshot.closed[conversationId]) return;
    this.lastTypingSent.set(conversationId, now);
    void this.emit("chat:typing", { conversationId }, true);
  }

  /**
   * The user is looking at the conversation: report its latest message read. Call only on the
   * user's behalf (a chat:read renews the session; a push alone must not). Returns whether
   * anything was sent.
   */
  markRead(conversationId: string): boolean {
    const thread = this.snapshot.threads[conversationId];
    const last = thread?.loaded ? thread.stored.at(-1) : undefined;
    if (!last || this.lastReadSent.get(conversationId) === last.id) return false;
    const unread = this.snapshot.conversations?.find((c) => c.id === conversationId)?.unread ?? 0;
    if (last.senderId === this.me.id && unread === 0) return false;
    if (!this.socket?.connected) return false;
    this.lastReadSent.set(conversationId, last.id);
    this.setSummary(conversationId, (c) => (c.unread === 0 ? c : { ...c, unread: 0 }));
    void this.emit("chat:read", { conversationId, messageId: last.id }, true).then((result) => {
      if (result.kind !== "ok" && this.lastReadSent.get(conversationId) === last.id) {
        this.lastReadSent.delete(conversationId);
      }
    });
    return true;
  }
}
