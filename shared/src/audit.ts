import { z } from "zod";
import { objectIdSchema } from "./auth.js";

export const AUDIT_OUTCOMES = ["success", "failure", "denied"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const auditQuerySchema = z.strictObject({
  userId: objectIdSchema.optional(),
  patientId: objectIdSchema.optional(),
  action: z.string().regex(/^[a-z_]+:[a-z_]+$/).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export interface AuditEntryView {
  id: string;
  at: string;
  userId: string | null;
  role: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  patientId: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  reason: string | null;
}
