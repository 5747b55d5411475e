import { z } from "zod";
import type { AlertSeverity } from "./clinical/redFlags.js";
import { DRUG_NAMES, type DrugName } from "./clinical/drugs.js";
import type { CohortArm } from "./clinical/trials.js";

/**
 * The physician dashboard, the cohort figures and break-glass access (CONTRACT.md,
 * "Dashboard, cohort, triage").
 */

export const DASHBOARD_SORT_KEYS = ["name", "latestWeightKg", "pctChange", "weeksOnTherapy", "adherence", "openAlerts", "unread", "lastContactAt"] as const;
export type DashboardSortKey = (typeof DASHBOARD_SORT_KEYS)[number];

const boolString = z.enum(["true", "false"]).transform((v) => v === "true");

/** `GET /api/dashboard` query: sorting and filtering happen on the server. */
export const dashboardQuerySchema = z.strictObject({
  sort: z.enum(DASHBOARD_SORT_KEYS).default("openAlerts"),
  order: z.enum(["asc", "desc"]).optional(),
  drug: z.enum(DRUG_NAMES).optional(),
  /** Only patients with an open alert of at least this severity. */
  alerts: z.enum(["urgent", "high", "medium"]).optional(),
  escalationDue: boolString.optional(),
  unread: boolString.optional(),
  online: boolString.optional(),
  /** Case-insensitive name prefix (names are sealed at rest, so this filters after opening them). */
  q: z.string().trim().min(1).max(60).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  offset: z.coerce.number().int().min(0).default(0),
});
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

export interface OpenAlertCounts {
  urgent: number;
  high: number;
  medium: number;
  total: number;
}

/** One row of the physician dashboard. Null where the patient has no data yet. */
export interface DashboardRow {
  patientId: string;
  name: string;
  latestWeightKg: number | null;
  latestWeightAt: string | null;
  baselineWeightKg: number | null;
  /** % change of the latest weight from baseline (negative = loss), one decimal. */
  pctChange: number | null;
  /** Whole weeks since the first signed prescription. */
  weeksOnTherapy: number | null;
  drug: DrugName | null;
  doseMg: number | null;
  /** The current dose is one of the drug's maintenance doses. */
  maintenance: boolean;
  /** The ladder allows the next step now (shared `nextAllowedStep`: ≥ 4 weeks at the current step, not at the top). */
  escalationDue: boolean;
  /** Dose readings logged since the start of therapy against weekly doses expected. */
  adherence: { taken: number; expected: number; pct: number | null };
  openAlerts: OpenAlertCounts;
  /** The highest severity among open alerts, for sorting and badges. */
  topSeverity: AlertSeverity | null;
  /** Messages from others in the conversation with this physician not yet read by them. */
  unread: number;
  lastContactAt: string | null;
  conversationId: string | null;
  /** The patient has at least one live connection (any tab, any node). */
  online: boolean;
  /** Up to 12 most recent weekly weights, kg, oldest first. */
  sparkline: number[];
}

export interface DashboardResponse {
  patients: DashboardRow[];
  total: number;
}

/** One week of an arm's cohort figure. */
export interface CohortWeek {
  week: number;
  meanPctChange: number;
  n: number;
}

export interface CohortArmFigure {
  arm: CohortArm;
  /** Patients in the arm (at its maintenance dose now). */
  patients: number;
  weeks: CohortWeek[];
}

export interface CohortResponse {
  arms: CohortArmFigure[];
}

/** Break-glass: a physician's written reason for opening a record outside their care team. */
export const BREAK_GLASS_REASON_MIN = 10;
export const BREAK_GLASS_REASON_MAX = 500;
export const breakGlassSchema = z.strictObject({
  reason: z.string().trim().min(BREAK_GLASS_REASON_MIN).max(BREAK_GLASS_REASON_MAX),
});
export type BreakGlassInput = z.infer<typeof breakGlassSchema>;

/** The audit `reason` of every access made under a break-glass grant (the emergency marker). */
export const BREAK_GLASS_AUDIT_REASON = "BREAK_GLASS";
