// @vitest-environment node
import { describe, expect, it } from "vitest";
import { SESSION_END_REASONS } from "@glp1/shared";
import { signOutNotice } from "./signout.js";

describe("signOutNotice (unit)", () => {
  it("mentions inactivity for an idle timeout only", () => {
    expect(signOutNotice("idle", 30 * 60_000)).toBe("You were signed out after 30 minutes of inactivity.");
    for (const reason of [...SESSION_END_REASONS.filter((r) => r !== "idle"), "absolute", "expired", "unauthenticated"] as const) {
      expect(signOutNotice(reason, 30 * 60_000), reason).not.toMatch(/inactivity/);
    }
  });

  it("tells a disabled account why, and has a message for every reason the server sends", () => {
    expect(signOutNotice("account_disabled", 60_000)).toMatch(/disabled/);
    expect(signOutNotice("password_changed", 60_000)).toMatch(/password was changed/);
    for (const reason of SESSION_END_REASONS) expect(signOutNotice(reason, 60_000), reason).toEqual(expect.any(String));
    expect(signOutNotice("user", 60_000)).toBeNull();
  });
});
