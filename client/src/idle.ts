/**
 * Idle logoff, client side.
 *
 * The server ends a session after `idleTimeoutMs` without a request or event from the user
 * (pushes it sends never count). The client mirrors that deadline locally instead of asking
 * the server (asking would itself renew the session): each of the user's own REST calls or
 * socket emits pushes the deadline to `at + idleTimeoutMs`. A little before the deadline the
 * user is warned; at the deadline the client signs out.
 *
 * Everything here except `IdleTracker` is pure, so it can be tested without a browser.
 */
import type { SessionInfo } from "@glp1/shared";

/** How long before the deadline the warning shows (see warningLeadFor for short timeouts). */
export const WARNING_LEAD_MS = 2 * 60_000;

export interface IdleClock {
  /** Local epoch ms at which the idle timer runs out. */
  idleDeadline: number;
  /** Local epoch ms at which the session's absolute lifetime ends, if known. */
  absoluteDeadline: number | null;
  idleTimeoutMs: number;
  /** How long before the effective deadline the warning is shown. */
  warningLeadMs: number;
}

export type IdleStatus =
  | { phase: "active"; msLeft: number }
  | { phase: "warning"; msLeft: number }
  | { phase: "expired"; reason: "idle" | "absolute" };

/** Two minutes; for (test) timeouts of two minutes or less, half the timeout. */
export function warningLeadFor(idleTimeoutMs: number): number {
  return idleTimeoutMs > WARNING_LEAD_MS ? WARNING_LEAD_MS : Math.floor(idleTimeoutMs / 2);
}

/**
 * Builds the clock from what the server answered (login, me, keepalive), at local time `now`.
 *
 * Such an answer comes from a request that just renewed the timer, so the idle deadline is
 * `now + idleTimeoutMs`. The server's `idleExpiresAt` is its own "now + idleTimeoutMs", which
 * lets us translate `absoluteExpiresAt` to the local clock without trusting that the two
 * clocks agree.
 */
export function clockFromSession(session: SessionInfo, now: number): IdleClock {
  const idleTimeoutMs = session.idleTimeoutMs;
  const serverIdle = Date.parse(session.idleExpiresAt);
  const serverAbsolute = Date.parse(session.absoluteExpiresAt);
  let absoluteDeadline: number | null = null;
  if (Number.isFinite(serverIdle) && Number.isFinite(serverAbsolute)) {
    if (serverIdle < serverAbsolute) {
      const serverNow = serverIdle - idleTimeoutMs;
      absoluteDeadline = now + (serverAbsolute - serverNow);
    } else {
      // The server capped the idle expiry at the absolute one, so its "now" cannot be
      // inferred; take its timestamp at face value, never later than a full timeout away.
      absoluteDeadline = Math.min(serverAbsolute, now + idleTimeoutMs);
    }
  }
  return {
    idleDeadline: now + idleTimeoutMs,
    absoluteDeadline,
    idleTimeoutMs,
    warningLeadMs: warningLeadFor(idleTimeoutMs),
  };
}

/** The user did something the server saw at local time `at`: the idle timer restarts. */
export function touch(clock: IdleClock, at: number): IdleClock {
  const renewed = at + clock.idleTimeoutMs;
  if (renewed <= clock.idleDeadline) return clock;
  return { ...clock, idleDeadline: renewed };
}

function effectiveDeadline(clock: IdleClock): { at: number; reason: "idle" | "absolute" } {
  if (clock.absoluteDeadline !== null && clock.absoluteDeadline < clock.idleDeadline) {
    return { at: clock.absoluteDeadline, reason: "absolute" };
  }
  return { at: clock.idleDeadline, reason: "idle" };
}

export function evaluate(clock: IdleClock, now: number): IdleStatus {
  const { at, reason } = effectiveDeadline(clock);
  const msLeft = at - now;
  if (msLeft <= 0) return { phase: "expired", reason };
  // Staying signed in cannot extend an absolute lifetime, so there is nothing to warn about
  // with a "Stay signed in" button; the session simply ends.
  if (reason === "idle" && msLeft <= clock.warningLeadMs) return { phase: "warning", msLeft };
  return { phase: "active", msLeft };
}

/** Milliseconds until `evaluate` may give a different phase (always at least 1). */
export function msUntilNextChange(clock: IdleClock, now: number): number {
  const status = evaluate(clock, now);
  if (status.phase === "expired") return 1;
  const { at, reason } = effectiveDeadline(clock);
  const next = status.phase === "active" && reason === "idle" ? at - clock.warningLeadMs : at;
  return Math.max(1, next - now);
}

/** `m:ss`, rounding up so the display reaches 0:00 only at the deadline. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${seconds.toString().padStart(2, "0")}`;
}

/** "30 minutes", "1 minute", "45 seconds": for the signed-out notice. */
export function describeDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) {
    const m = ms / 60_000;
    return `${m} minute${m === 1 ? "" : "s"}`;
  }
  if (ms >= 60_000) {
    const m = Math.round(ms / 60_000);
    return `${m} minute${m === 1 ? "" : "s"}`;
  }
  const s = Math.max(1, Math.round(ms / 1000));
  return `${s} second${s === 1 ? "" : "s"}`;
}

export function inactivityNotice(idleTimeoutMs: number): string {
  return `You were signed out after ${describeDuration(idleTimeoutMs)} of inactivity.`;
}

/**
 * Drives an `IdleClock` with timers. Calls `onChange` when the phase changes, every second
 * while the warning shows (for the countdown), and exactly once on expiry, after which it
 * stops itself.
 */
export class IdleTracker {
  private clock: IdleClock | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastPhase: IdleStatus["phase"] | null = null;
  private lastTimeoutMs: number | null = null;

  constructor(
    private readonly onChange: (status: IdleStatus) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get running(): boolean {
    return this.clock !== null;
  }

  /** The timeout of the session last started; still known after expiry, for the notice. */
  get idleTimeoutMs(): number | null {
    return this.clock?.idleTimeoutMs ?? this.lastTimeoutMs;
  }

  start(session: SessionInfo): void {
    this.clock = clockFromSession(session, this.now());
    this.lastTimeoutMs = this.clock.idleTimeoutMs;
    this.lastPhase = null;
    this.check();
  }

  touch(at: number = this.now()): void {
    if (!this.clock) return;
    this.clock = touch(this.clock, at);
    this.check();
  }

  /** Re-evaluates now (e.g. after the tab becomes visible again; timers may have been throttled). */
  check(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const clock = this.clock;
    if (!clock) return;
    const now = this.now();
    const status = evaluate(clock, now);
    const changed = status.phase !== this.lastPhase;
    this.lastPhase = status.phase;
    if (status.phase === "expired") {
      this.stop();
      this.onChange(status);
      return;
    }
    if (changed || status.phase === "warning") this.onChange(status);
    let delay = msUntilNextChange(clock, now);
    if (status.phase === "warning") {
      // Tick on the second boundary of the countdown.
      const toNextSecond = status.msLeft % 1000 || 1000;
      delay = Math.min(delay, toNextSecond);
    }
    this.timer = setTimeout(() => this.check(), delay);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.clock = null;
  }
}
