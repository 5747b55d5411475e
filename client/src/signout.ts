/**
 * What the sign-in page says after a session ended, by why it ended. The server names the
 * reason in `session:expired`; only an idle timeout gets the inactivity message (a disabled
 * account used to be told it had been idle).
 */
import type { SessionEndReason } from "@glp1/shared";
import { inactivityNotice } from "./idle.js";

/**
 * Why this tab signs out: the user did, the local idle clock ran out (`idle`, `absolute`),
 * the server ended the session and said why (a `SessionEndReason`), said nothing
 * (`expired`, an older server), or refused a request (`unauthenticated`).
 */
export type SignOutReason = "user" | "absolute" | "expired" | "unauthenticated" | SessionEndReason;

const GENERIC = "Your session has ended. Please sign in again.";

/** The notice for the sign-in page (null: none, the user signed out themself). */
export function signOutNotice(reason: SignOutReason, idleTimeoutMs: number): string | null {
  switch (reason) {
    case "user":
      return null;
    case "idle":
      return inactivityNotice(idleTimeoutMs);
    case "absolute":
    case "absolute_limit":
      return "Your session reached its time limit. Please sign in again.";
    case "signed_out":
      return "You were signed out. Please sign in again.";
    case "ended_elsewhere":
      return "This session was signed out from another of your sessions. If that was not you, sign in and change your password.";
    case "password_changed":
      return "Your password was changed, so this session was signed out. Sign in with the new password.";
    case "mfa_enabled":
      return "Multi-factor sign-in was turned on for your account, so your other sessions were signed out. Sign in again with your authenticator code.";
    case "mfa_reset":
      return "An administrator reset your multi-factor sign-in, so you were signed out. Sign in again to set it up anew.";
    case "account_disabled":
      return "Your account has been disabled, so you were signed out. Contact the clinic if you think this is a mistake.";
    case "expired":
    case "unauthenticated":
      return GENERIC;
  }
}
