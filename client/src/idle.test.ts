// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionInfo } from "@glp1/shared";
import {
  IdleTracker,
  WARNING_LEAD_MS,
  clockFromSession,
  describeDuration,
  evaluate,
  formatCountdown,
  inactivityNotice,
  msUntilNextChange,
  touch,
  type IdleStatus,
} from "./idle.js";

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 15, 9, 0, 0);

/** A session as the server would describe it at server time `serverNow`. */
function session(serverNow: number, idleTimeoutMs = 30 * MIN, absoluteMs = 12 * 60 * MIN): SessionInfo {
  return {
    idleTimeoutMs,
    idleExpiresAt: new Date(serverNow + idleTimeoutMs).toISOString(),
    absoluteExpiresAt: new Date(serverNow + absoluteMs).toISOString(),
  };
}

describe("clockFromSession", () => {
  it("puts the idle deadline one timeout after now", () => {
    const clock = clockFromSession(session(T0), T0);
    expect(clock.idleDeadline).toBe(T0 + 30 * MIN);
    expect(clock.idleTimeoutMs).toBe(30 * MIN);
    expect(clock.warningLeadMs).toBe(WARNING_LEAD_MS);
  });

  it("translates the absolute expiry to the local clock when the clocks disagree", () => {
    // Server clock runs 7 minutes ahead of the browser's.
    const clock = clockFromSession(session(T0 + 7 * MIN, 30 * MIN, 8 * 60 * MIN), T0);
    expect(clock.idleDeadline).toBe(T0 + 30 * MIN);
    expect(clock.absoluteDeadline).toBe(T0 + 8 * 60 * MIN);
  });

  it("near the end of the absolute lifetime, the capped idle expiry is taken at face value", () => {
    const s: SessionInfo = {
      idleTimeoutMs: 30 * MIN,
      idleExpiresAt: new Date(T0 + 5 * MIN).toISOString(),
      absoluteExpiresAt: new Date(T0 + 5 * MIN).toISOString(),
    };
    const clock = clockFromSession(s, T0);
    expect(clock.absoluteDeadline).toBe(T0 + 5 * MIN);
    expect(evaluate(clock, T0 + 5 * MIN)).toEqual({ phase: "expired", reason: "absolute" });
  });

  it("tolerates an unparseable absolute expiry", () => {
    const s = { ...session(T0), absoluteExpiresAt: "soon" };
    expect(clockFromSession(s, T0).absoluteDeadline).toBeNull();
  });

  it("warns two minutes ahead, or halfway through timeouts of two minutes or less", () => {
    expect(clockFromSession(session(T0, 130_000), T0).warningLeadMs).toBe(2 * MIN);
    expect(clockFromSession(session(T0, 4 * MIN), T0).warningLeadMs).toBe(2 * MIN);
    expect(clockFromSession(session(T0, 2 * MIN), T0).warningLeadMs).toBe(MIN);
    expect(clockFromSession(session(T0, 60_000), T0).warningLeadMs).toBe(30_000);
  });
});

describe("evaluate", () => {
  const clock = clockFromSession(session(T0), T0);

  it("is active until two minutes before the deadline", () => {
    expect(evaluate(clock, T0)).toEqual({ phase: "active", msLeft: 30 * MIN });
    expect(evaluate(clock, T0 + 28 * MIN - 1).phase).toBe("active");
  });

  it("warns in the last two minutes", () => {
    expect(evaluate(clock, T0 + 28 * MIN)).toEqual({ phase: "warning", msLeft: 2 * MIN });
    expect(evaluate(clock, T0 + 30 * MIN - 1)).toEqual({ phase: "warning", msLeft: 1 });
  });

  it("expires at the deadline for inactivity", () => {
    expect(evaluate(clock, T0 + 30 * MIN)).toEqual({ phase: "expired", reason: "idle" });
    expect(evaluate(clock, T0 + 90 * MIN)).toEqual({ phase: "expired", reason: "idle" });
  });

  it("ends at the absolute lifetime, without an idle warning", () => {
    const short = clockFromSession(session(T0, 30 * MIN, 20 * MIN), T0);
    expect(evaluate(short, T0 + 19 * MIN).phase).toBe("active");
    expect(evaluate(short, T0 + 20 * MIN)).toEqual({ phase: "expired", reason: "absolute" });
  });
});

describe("touch", () => {
  const clock = clockFromSession(session(T0), T0);

  it("pushes the deadline to the activity time plus the timeout", () => {
    const later = touch(clock, T0 + 10 * MIN);
    expect(later.idleDeadline).toBe(T0 + 40 * MIN);
    expect(evaluate(later, T0 + 39 * MIN).phase).toBe("warning");
  });

  it("never moves the deadline backwards (late-reported older activity)", () => {
    const later = touch(clock, T0 + 10 * MIN);
    expect(touch(later, T0 + 5 * MIN)).toBe(later);
  });

  it("cannot outlive the absolute lifetime", () => {
    const c = clockFromSession(session(T0, 30 * MIN, 40 * MIN), T0);
    const touched = touch(c, T0 + 25 * MIN);
    expect(evaluate(touched, T0 + 40 * MIN)).toEqual({ phase: "expired", reason: "absolute" });
  });
});

describe("msUntilNextChange", () => {
  const clock = clockFromSession(session(T0), T0);
  it("points at the warning, then at the deadline", () => {
    expect(msUntilNextChange(clock, T0)).toBe(28 * MIN);
    expect(msUntilNextChange(clock, T0 + 29 * MIN)).toBe(MIN);
    expect(msUntilNextChange(clock, T0 + 31 * MIN)).toBe(1);
  });
});

describe("formatting", () => {
  it("formats the countdown as m:ss, rounding up", () => {
    expect(formatCountdown(2 * MIN)).toBe("2:00");
    expect(formatCountdown(125_000)).toBe("2:05");
    expect(formatCountdown(59_001)).toBe("1:00");
    expect(formatCountdown(9_000)).toBe("0:09");
    expect(formatCountdown(0)).toBe("0:00");
    expect(formatCountdown(-5)).toBe("0:00");
  });

  it("describes the timeout in words", () => {
    expect(describeDuration(30 * MIN)).toBe("30 minutes");
    expect(describeDuration(MIN)).toBe("1 minute");
    expect(describeDuration(20_000)).toBe("20 seconds");
    expect(inactivityNotice(30 * MIN)).toBe("You were signed out after 30 minutes of inactivity.");
  });
});

describe("IdleTracker", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function track() {
    const seen: IdleStatus[] = [];
    const tracker = new IdleTracker((s) => seen.push(s));
    return { tracker, seen, phases: () => seen.map((s) => s.phase) };
  }

  it("goes active → warning (ticking each second) → expired, once", () => {
    const { tracker, seen, phases } = track();
    tracker.start(session(T0));
    expect(phases()).toEqual(["active"]);

    vi.advanceTimersByTime(28 * MIN - 1);
    expect(phases()).toEqual(["active"]);

    vi.advanceTimersByTime(1);
    expect(seen.at(-1)).toEqual({ phase: "warning", msLeft: 2 * MIN });

    vi.advanceTimersByTime(1000);
    expect(seen.at(-1)).toEqual({ phase: "warning", msLeft: 2 * MIN - 1000 });

    vi.advanceTimersByTime(2 * MIN);
    expect(seen.at(-1)).toEqual({ phase: "expired", reason: "idle" });
    expect(phases().filter((p) => p === "expired")).toHaveLength(1);
    expect(tracker.running).toBe(false);
    expect(tracker.idleTimeoutMs).toBe(30 * MIN);

    vi.advanceTimersByTime(60 * MIN);
    expect(phases().filter((p) => p === "expired")).toHaveLength(1);
  });

  it("activity during the warning hides it and restarts the timer", () => {
    const { tracker, seen } = track();
    tracker.start(session(T0));
    vi.advanceTimersByTime(29 * MIN);
    expect(seen.at(-1)?.phase).toBe("warning");

    tracker.touch();
    expect(seen.at(-1)).toEqual({ phase: "active", msLeft: 30 * MIN });

    vi.advanceTimersByTime(28 * MIN - 1);
    expect(seen.at(-1)?.phase).toBe("active");
    vi.advanceTimersByTime(2 * MIN + 1);
    expect(seen.at(-1)).toEqual({ phase: "expired", reason: "idle" });
  });

  it("a keepalive answer (start again) resets the clock", () => {
    const { tracker, seen } = track();
    tracker.start(session(T0));
    vi.advanceTimersByTime(29 * MIN);
    tracker.start(session(T0 + 29 * MIN));
    expect(seen.at(-1)).toEqual({ phase: "active", msLeft: 30 * MIN });
    vi.advanceTimersByTime(30 * MIN);
    expect(seen.at(-1)?.phase).toBe("expired");
  });

  it("catches up when timers were delayed (sleeping laptop, throttled tab)", () => {
    const { tracker, seen } = track();
    tracker.start(session(T0));
    // The clock jumps past the deadline without timers firing on time.
    vi.setSystemTime(T0 + 45 * MIN);
    tracker.check();
    expect(seen.at(-1)).toEqual({ phase: "expired", reason: "idle" });
  });

  it("stop cancels everything", () => {
    const { tracker, phases } = track();
    tracker.start(session(T0));
    tracker.stop();
    tracker.touch();
    vi.advanceTimersByTime(120 * MIN);
    expect(phases()).toEqual(["active"]);
  });
});
