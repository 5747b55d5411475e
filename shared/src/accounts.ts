import { z } from "zod";
import { auditQuerySchema, type AuditEntryView } from "./audit.js";
import { objectIdSchema, totpCodeSchema } from "./auth.js";
import { ROLES, type Role } from "./roles.js";

/* ------------------------------------------------------------------ finding people */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * What a person types to find an account: a name (or the start of its words), an exact
 * email or an account id. Names and emails are PHI, so searches travel in a POST body,
 * never in a URL.
 */
export const searchTextSchema = z
  .string()
  .trim()
  .min(1, { message: "type a name or an email" })
  .max(254)
  .refine((s) => !CONTROL.test(s), { message: "must not contain control characters" });

export const USER_SEARCH_MAX = 50;

/** `POST /api/admin/users/search` (admin). */
export const userSearchSchema = z.strictObject({
  q: searchTextSchema,
  role: z.enum(ROLES).optional(),
  limit: z.number().int().min(1).max(USER_SEARCH_MAX).default(USER_SEARCH_MAX),
});
export type UserSearchInput = z.infer<typeof userSearchSchema>;

/** How a search matched: one exact email, one account id, or names by word prefix. */
export type UserSearchMatch = "email" | "id" | "name";

/** One account as the admin search shows it. */
export interface UserSearchResult {
  id: string;
  name: string;
  email: string;
  role: Role;
  status: "active" | "disabled";
  mfaEnrolled: boolean;
}

export interface UserSearchResponse {
  users: UserSearchResult[];
  match: UserSearchMatch;
  /** More accounts matched than were returned: narrow the search. */
  truncated: boolean;
}

/** `POST /api/breakglass/patients/search` (physician): an exact email or a full name only. */
export const patientLookupSchema = z.strictObject({ q: searchTextSchema });
export type PatientLookupInput = z.infer<typeof patientLookupSchema>;

/** Minimum necessary: who the patient is, nothing clinical. */
export interface PatientLookupResult {
  id: string;
  name: string;
}

export const PATIENT_LOOKUP_MAX = 10;

/* ------------------------------------------------------------------ MFA administration */

/** Why an admin reset someone's MFA: a code for the audit trail (never free text). */
export const MFA_RESET_REASONS = ["LOST_DEVICE", "NEW_DEVICE", "SUSPECTED_COMPROMISE", "OTHER"] as const;
export type MfaResetReason = (typeof MFA_RESET_REASONS)[number];

/** `POST /api/admin/users/:id/mfa/reset`. */
export const mfaResetSchema = z.strictObject({ reason: z.enum(MFA_RESET_REASONS) });
export type MfaResetInput = z.infer<typeof mfaResetSchema>;

export interface MfaResetResponse {
  user: { id: string; role: Role; name: string; mfaEnrolled: false };
  /** MFA was active before the reset (false: only a pending enrollment, or nothing, was cleared). */
  wasEnrolled: boolean;
  /** Sessions of that user ended (their sockets too). */
  ended: number;
}

/** `POST /api/auth/mfa/recovery-codes`: a current code from the authenticator proves the factor. */
export const recoveryCodesRegenerateSchema = z.strictObject({ totp: totpCodeSchema });
export type RecoveryCodesRegenerateInput = z.infer<typeof recoveryCodesRegenerateSchema>;

/** The new codes, shown once; every earlier code has stopped working. */
export interface RecoveryCodesResponse {
  recoveryCodes: string[];
}

/* ------------------------------------------------------------------ audit trail pages */

/**
 * `GET /api/audit?…&before=<entry id>`: the page of entries older than that entry (newest
 * first). An answer carries `next`, the cursor of the following page, or null at the end.
 */
export const auditPageQuerySchema = auditQuerySchema.extend({ before: objectIdSchema.optional() });
export type AuditPageQuery = z.infer<typeof auditPageQuerySchema>;

export interface AuditPage {
  entries: AuditEntryView[];
  next: string | null;
}

/* ------------------------------------------------------------------ care teams */

/** A physician on a patient's care team, as the admin screen shows them. */
export interface CareTeamMember {
  id: string;
  name: string;
  /** False: the account is disabled (still on the team until an admin changes it). */
  active: boolean;
}

/** `GET /api/admin/care-teams/:patientId` (admin): the team as it stands (empty when none was set). */
export interface CareTeamResponse {
  patientId: string;
  physicians: CareTeamMember[];
}

/** `POST /api/admin/care-teams` answers `{careTeam}` with this: the new team and what changed. */
export interface CareTeamSetResult {
  patientId: string;
  physicianIds: string[];
  /** One per physician, in the order of `physicianIds`. */
  conversationIds: string[];
  /** On the team now, not before. */
  addedPhysicianIds: string[];
  /** On the team before, not now: they can no longer open this patient's conversations or record. */
  removedPhysicianIds: string[];
}
