/**
 * The signed-in session as the UI sees it: who is signed in, their chat store, the idle
 * deadline (mirrored locally, see idle.ts) and signing out for whatever reason.
 *
 * Other tabs of the same browser share the server session, so they share activity and
 * sign-outs over a BroadcastChannel (no PHI goes over it: user id, timestamps, a notice).
 */
import type { MfaStatus, PublicUser, SessionInfo } from "@glp1/shared";
import { ApiError, api, describeError, setApiHooks } from "./api.js";
import { ChatStore } from "./chat/store.js";
import { IdleTracker, type IdleStatus } from "./idle.js";
import { signOutNotice, type SignOutReason } from "./signout.js";

export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;

export type { SignOutReason } from "./signout.js";

export type SessionState =
  | { kind: "loading"; message: string }
  | { kind: "signedOut"; notice: string | null }
  | {
      kind: "signedIn";
      user: PublicUser;
      store: ChatStore;
      idle: IdleStatus;
      keepalive: { busy: boolean; error: string | null };
      /** Where the account stands with multi-factor sign-in (null: the server did not say). */
      mfa: MfaStatus | null;
      /**
       * A staff session without a second factor: the server refuses everything but MFA
       * enrollment, so the UI shows enrollment instead of screens that cannot load.
       */
      mfaRequired: boolean;
    };

type TabMessage =
  | { type: "activity"; userId: string; at: number }
  | { type: "signout"; userId: string; notice: string | null };

const CHANNEL_NAME = "glp1-care-session";

/** Used only if the server leaves `session` out of its answer. */
function assumedSession(now: number): SessionInfo {
  return {
    idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    idleExpiresAt: new Date(now + DEFAULT_IDLE_TIMEOUT_MS).toISOString(),
    absoluteExpiresAt: new Date(now + 24 * 60 * 60_000).toISOString(),
  };
}

export class SessionController {
  private state: SessionState = { kind: "loading", message: "Loading…" };
  private readonly listeners = new Set<() => void>();
  private readonly tracker = new IdleTracker((status) => this.onIdle(status));
  private readonly channel: BroadcastChannel | null;

  constructor() {
    setApiHooks({
      activity: (at) => this.activity(at, true),
      unauthenticated: () => void this.signOut("unauthenticated"),
      mfaRequired: () => this.mfaRequired(),
      // A physician refused a patient's record: off that care team, so stop asking for it.
      forbiddenPatient: (patientId) => {
        if (this.state.kind === "signedIn") this.state.store.markPatientLost(patientId);
      },
    });
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL_NAME) : null;
    this.channel?.addEventListener("message", (e: MessageEvent<TabMessage>) => this.onTabMessage(e.data));
    // Timers are throttled in background tabs and stop during sleep: re-check on return.
    const recheck = () => this.tracker.check();
    document.addEventListener("visibilitychange", recheck);
    window.addEventListener("focus", recheck);
    window.addEventListener("pageshow", recheck);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): SessionState => this.state;

  private set(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  /** On page load: is there a live session already? */
  async init(): Promise<void> {
    try {
      const { user, session, mfa } = await api.me();
      this.signedIn(user, session, mfa);
    } catch (error) {
      const unreachable = error instanceof ApiError && error.status !== 401;
      this.set({ kind: "signedOut", notice: unreachable ? describeError(error) : null });
    }
  }

  signedIn(user: PublicUser, session: SessionInfo | undefined, mfa?: MfaStatus): void {
    if (this.state.kind === "signedIn") this.state.store.stop();
    this.tracker.start(session ?? assumedSession(Date.now()));
    const store = this.newStore(user);
    const mfaRequired = mfa?.enrollmentRequired === true;
    this.set({
      kind: "signedIn",
      user,
      store,
      idle: { phase: "active", msLeft: session?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS },
      keepalive: { busy: false, error: null },
      mfa: mfa ?? null,
      mfaRequired,
    });
    // A password-only staff session gets nothing over the socket: connect once MFA is on.
    if (!mfaRequired) store.start();
  }

  private newStore(user: PublicUser): ChatStore {
    return new ChatStore(user, {
      activity: (at) => this.activity(at, true),
      // The server's reason when it gave one ("expired" alone: an older server).
      signedOut: (reason, why) => void this.signOut(why ?? reason),
      mfaRequired: () => this.mfaRequired(),
    });
  }

  /** The server refused a request: this session must enroll in MFA first. */
  private mfaRequired(): void {
    if (this.state.kind !== "signedIn" || this.state.mfaRequired) return;
    this.state.store.stop();
    this.set({ ...this.state, mfaRequired: true, mfa: { enrolled: false, verified: false, ...this.state.mfa, enrollmentRequired: true } });
  }

  /** MFA is now active and this session verified: a fresh socket joins the user's rooms. */
  mfaEnabled(mfa: MfaStatus): void {
    if (this.state.kind !== "signedIn") return;
    const wasRequired = this.state.mfaRequired;
    if (!wasRequired) {
      this.set({ ...this.state, mfa });
      return;
    }
    this.state.store.stop();
    const store = this.newStore(this.state.user);
    this.set({ ...this.state, store, mfa, mfaRequired: false });
    store.start();
  }

  /** The server saw the user do something at `at`: the idle deadline moves. */
  private activity(at: number, broadcast: boolean): void {
    if (this.state.kind !== "signedIn") return;
    this.tracker.touch(at);
    if (broadcast) this.post({ type: "activity", userId: this.state.user.id, at });
  }

  private onIdle(status: IdleStatus): void {
    if (this.state.kind !== "signedIn") return;
    if (status.phase === "expired") {
      void this.signOut(status.reason === "absolute" ? "absolute" : "idle");
      return;
    }
    this.set({ ...this.state, idle: status });
  }

  /** "Stay signed in". */
  async stay(): Promise<void> {
    if (this.state.kind !== "signedIn") return;
    this.set({ ...this.state, keepalive: { busy: true, error: null } });
    try {
      const sentAt = Date.now();
      const { session } = await api.keepalive();
      if (this.state.kind !== "signedIn") return;
      if (session) this.tracker.start(session);
      else this.tracker.touch(sentAt);
      this.set({ ...this.state, keepalive: { busy: false, error: null } });
    } catch (error) {
      if (this.state.kind !== "signedIn") return;
      this.set({ ...this.state, keepalive: { busy: false, error: describeError(error) } });
    }
  }

  async signOut(reason: SignOutReason, remoteNotice?: string | null): Promise<void> {
    const state = this.state;
    if (state.kind !== "signedIn") return;
    const timeoutMs = this.tracker.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.tracker.stop();
    // Drop every message held in memory now, before anything else.
    state.store.stop();

    let notice = signOutNotice(reason, timeoutMs);
    if (remoteNotice !== undefined) notice = remoteNotice;
    else this.post({ type: "signout", userId: state.user.id, notice });

    const local = remoteNotice === undefined;
    if (local && (reason === "user" || reason === "idle" || reason === "absolute")) {
      // The server may have ended the session already; ending it here makes sure.
      this.set({ kind: "loading", message: "Signing out…" });
      await api.logout().catch(() => undefined);
    }
    this.set({ kind: "signedOut", notice });
  }

  private post(message: TabMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // A closed channel: nothing to tell.
    }
  }

  private onTabMessage(message: TabMessage): void {
    if (this.state.kind !== "signedIn" || message.userId !== this.state.user.id) return;
    if (message.type === "activity") this.activity(message.at, false);
    else void this.signOut("user", message.notice);
  }
}
