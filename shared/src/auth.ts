import { z } from "zod";
import { ROLES } from "./roles.js";

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 10;

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .toLowerCase()
  .pipe(z.email({ message: "must be an email address" }));

/** A password as typed at login: any string up to the bcrypt limit. */
export const loginPasswordSchema = z
  .string()
  .min(1)
  .refine((p) => utf8Length(p) <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  });

/** A new password: long enough to matter, short enough for bcrypt to read it all. */
export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { message: `must be at least ${PASSWORD_MIN_LENGTH} characters` })
  .refine((p) => utf8Length(p) <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  });

/** Control characters and bidirectional overrides would let a name spoof another on screen. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
export const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .refine((n) => !UNSAFE_TEXT.test(n), { message: "must not contain control or text-direction characters" });

/** A 6-digit TOTP code as shown by an authenticator app (spaces allowed, as apps group the digits). */
export const totpCodeSchema = z
  .string()
  .transform((s) => s.replace(/\s+/g, ""))
  .pipe(z.string().regex(/^\d{6}$/, { message: "must be a 6-digit code" }));

/** A one-time recovery code (`xxxxx-xxxxx`); case, spaces and dashes do not matter. */
export const recoveryCodeSchema = z
  .string()
  .max(40)
  .transform((s) => s.replace(/[\s-]+/g, "").toLowerCase())
  .pipe(z.string().regex(/^[a-z2-7]{10}$/, { message: "must be a recovery code" }));

export const loginSchema = z.strictObject({
  email: emailSchema,
  password: loginPasswordSchema,
  /** The second factor, for an account with MFA enrolled: a TOTP code… */
  totp: totpCodeSchema.optional(),
  /** …or one of its one-time recovery codes. */
  recoveryCode: recoveryCodeSchema.optional(),
});
export type LoginInput = z.infer<typeof loginSchema>;

export const registerSchema = z.strictObject({
  email: emailSchema,
  password: newPasswordSchema,
  name: nameSchema,
});
export type RegisterInput = z.infer<typeof registerSchema>;

export const createUserSchema = z.strictObject({
  role: z.enum(ROLES),
  email: emailSchema,
  password: newPasswordSchema,
  name: nameSchema,
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const objectIdSchema = z.string().regex(/^[0-9a-f]{24}$/, { message: "must be an id" });

export const careTeamSchema = z.strictObject({
  patientId: objectIdSchema,
  physicianIds: z.array(objectIdSchema).min(1).max(10),
});
export type CareTeamInput = z.infer<typeof careTeamSchema>;

/**
 * Why the server ended a session (the `reason` of `session:expired`), so the client can say
 * what happened instead of guessing. `idle` and `absolute_limit` are the timeouts; the rest
 * are acts: this session signed out, ended from another session of the same user, a
 * password change or MFA activation elsewhere, an admin's MFA reset or account disable.
 */
export const SESSION_END_REASONS = [
  "idle",
  "absolute_limit",
  "signed_out",
  "ended_elsewhere",
  "password_changed",
  "mfa_enabled",
  "mfa_reset",
  "account_disabled",
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** What the API tells a client about a person. */
export interface PublicUser {
  id: string;
  role: (typeof ROLES)[number];
  name: string;
}

/** What `GET /api/auth/me` adds: when the idle timer runs out, so the client can warn. */
export interface SessionInfo {
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  idleTimeoutMs: number;
}

/** `POST /api/auth/mfa/enroll` takes no fields. */
export const mfaEnrollSchema = z.strictObject({});

/** `POST /api/auth/mfa/confirm`: the first code from the authenticator activates MFA. */
export const mfaConfirmSchema = z.strictObject({ totp: totpCodeSchema });
export type MfaConfirmInput = z.infer<typeof mfaConfirmSchema>;

/** `POST /api/auth/mfa/enroll` answers this once; the secret is never shown again. */
export interface MfaEnrollment {
  /** Base32 TOTP secret (SHA-1, 6 digits, 30 s). */
  secret: string;
  /** `otpauth://totp/…` for a QR code. */
  otpauthUrl: string;
  /** Ten one-time codes, each usable once in place of a TOTP code. */
  recoveryCodes: string[];
}

/** Where a user stands with MFA (in `login` and `me` answers). */
export interface MfaStatus {
  /** MFA is active on the account. */
  enrolled: boolean;
  /** This session was established (or upgraded) with a second factor. */
  verified: boolean;
  /** The role must have MFA before any PHI access, and this session does not have it yet. */
  enrollmentRequired: boolean;
}

/** `POST /api/auth/password`: re-authenticate with the current password. */
export const changePasswordSchema = z.strictObject({
  currentPassword: loginPasswordSchema,
  newPassword: newPasswordSchema,
});
export type ChangePasswordInput = z.infer<typeof changePasswordSchema>;

/** One of the caller's sessions (`GET /api/auth/sessions`); `id` is an opaque handle, never the session id. */
export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string | null;
  lastActivityAt: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A session handle as it appears in `DELETE /api/auth/sessions/:id`. */
export const sessionHandleSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, { message: "must be a session id" });
