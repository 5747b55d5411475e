import { z } from "zod";
import { objectIdSchema } from "../auth.js";
import type { AlertKind, AlertSeverity } from "./redFlags.js";

export interface AlertView {
  id: string;
  patientId: string;
  kind: AlertKind;
  severity: AlertSeverity;
  createdAt: string;
  status: "open" | "acknowledged";
  occurrences: number;
  /** The values that tripped the rule (PHI: only for the care team). */
  evidence?: Record<string, unknown>;
  acknowledgedAt?: string | null;
  acknowledgedBy?: string | null;
  /** `break_glass` notices to admins: the physician who opened the record, and until when. */
  actorId?: string;
  /** Display name of that physician (staff, not patient PHI). */
  actorName?: string;
  expiresAt?: string;
}

/** What the patient is told at once when a crisis flag is raised (988, 911). */
export interface PatientInstruction {
  kind: AlertKind;
  severity: AlertSeverity;
  instructions: string;
}

export const alertAckSchema = z.strictObject({ alertId: objectIdSchema });
export const alertListQuerySchema = z.strictObject({ status: z.enum(["open", "acknowledged"]).optional() });
