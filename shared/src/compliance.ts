import { z } from "zod";
import { objectIdSchema } from "./auth.js";

/** Staff roles: the workforce that owes annual HIPAA training. */
export const STAFF_ROLES = ["physician", "support", "admin"] as const;

/* ---------------------------------------------------------------- disclosures */

/** `GET /api/admin/patients/:id/disclosures?from&to&format`. */
export const disclosuresQuerySchema = z.strictObject({
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  format: z.enum(["csv", "fhir"]).default("csv"),
});
export type DisclosuresQuery = z.infer<typeof disclosuresQuerySchema>;

/** One access to a patient's record by someone other than the patient. Ids and codes only. */
export interface DisclosureRow {
  /** The audit entry's id, to find it in the full trail. */
  id: string;
  at: string;
  userId: string;
  role: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  outcome: "success" | "failure" | "denied";
  /** Access under a break-glass grant (or the grant itself). */
  emergency: boolean;
  reason: string | null;
}

/* ---------------------------------------------------------------- anomalies */

export const ANOMALY_RULES = [
  /** One user touched more than N distinct patients inside a sliding window. */
  "bulk_patient_reads",
  /** The same, outside clinic hours, with a lower bar. */
  "off_hours_bulk_reads",
  /** A user was refused access to a patient record (outside their care team). */
  "care_team_denied",
  /** A user used break-glass (emergency) access. */
  "break_glass",
  /** Many failed sign-ins on one account. */
  "login_failures_account",
  /** Many failed sign-ins from one IP address. */
  "login_failures_ip",
] as const;
export type AnomalyRule = (typeof ANOMALY_RULES)[number];

export const ANOMALY_RESOLUTIONS = ["benign", "investigating", "confirmed"] as const;
export type AnomalyResolution = (typeof ANOMALY_RESOLUTIONS)[number];

export interface AnomalyView {
  id: string;
  rule: AnomalyRule;
  /** What the rule counts by: a user id, or an IP address for `login_failures_ip`. */
  subject: string;
  userId: string | null;
  windowStart: string;
  windowEnd: string;
  /** Distinct patients, refusals or failures seen; grows while the anomaly is open. */
  count: number;
  threshold: number;
  status: "open" | "closed";
  createdAt: string;
  lastSeenAt: string;
  closedBy: string | null;
  closedAt: string | null;
  resolution: AnomalyResolution | null;
}

export const anomalyQuerySchema = z.strictObject({
  status: z.enum(["open", "closed"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AnomalyQuery = z.infer<typeof anomalyQuerySchema>;

export const closeAnomalySchema = z.strictObject({
  resolution: z.enum(ANOMALY_RESOLUTIONS),
});
export type CloseAnomalyInput = z.infer<typeof closeAnomalySchema>;

/* ---------------------------------------------------------------- workforce training */

/** Annual HIPAA training: a completion older than this has lapsed. */
export const TRAINING_VALID_DAYS = 365;

export const trainingRecordSchema = z.strictObject({
  userId: objectIdSchema,
  completedAt: z.iso.datetime().refine((s) => Date.parse(s) <= Date.now() + 5 * 60_000, "cannot be in the future"),
  /** Course name or code (not PHI); printable text only. */
  course: z
    .string()
    .trim()
    .min(2)
    .max(120)
    .regex(/^[\p{L}\p{N} .,:;()'&/_-]+$/u, "letters, digits and simple punctuation only"),
});
export type TrainingRecordInput = z.infer<typeof trainingRecordSchema>;

export interface TrainingRecordView {
  id: string;
  userId: string;
  completedAt: string;
  course: string;
  recordedBy: string;
  recordedAt: string;
}

/** One staff member's training status. */
export interface TrainingStatusView {
  userId: string;
  role: (typeof STAFF_ROLES)[number];
  name: string;
  active: boolean;
  lastCompletedAt: string | null;
  lastCourse: string | null;
  /** No completion within TRAINING_VALID_DAYS. */
  lapsed: boolean;
}
