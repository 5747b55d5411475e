import { type Connection, type Model, Schema, type Types } from "mongoose";
import type { AuditOutcome } from "@glp1/shared";

/** One audit entry. No free text: `reason` is an error or rule code, never user input. */
export interface AuditEntry {
  at: Date;
  userId: Types.ObjectId | null;
  role: string | null;
  action: string;
  resource: string;
  resourceId: string | null;
  patientId: Types.ObjectId | null;
  outcome: AuditOutcome;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  reason: string | null;
  /** Hash chain: each writer process keeps one chain; seq orders it. */
  chainId: string;
  seq: number;
  prevHash: string;
  hash: string;
}

const auditSchema = new Schema<AuditEntry>(
  {
    at: { type: Date, required: true },
    userId: { type: Schema.Types.ObjectId, default: null },
    role: { type: String, default: null },
    action: { type: String, required: true },
    resource: { type: String, required: true },
    resourceId: { type: String, default: null },
    patientId: { type: Schema.Types.ObjectId, default: null },
    outcome: { type: String, required: true, enum: ["success", "failure", "denied"] },
    ip: { type: String, default: null },
    userAgent: { type: String, default: null },
    requestId: { type: String, default: null },
    reason: { type: String, default: null },
    chainId: { type: String, required: true },
    seq: { type: Number, required: true },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
  },
  // Append-only and kept 6+ years: no TTL index, and no code path updates or deletes.
  { collection: "audit", versionKey: false },
);
auditSchema.index({ chainId: 1, seq: 1 }, { unique: true });
auditSchema.index({ at: -1 });
auditSchema.index({ userId: 1, at: -1 });
auditSchema.index({ patientId: 1, at: -1 });

export type AuditModel = Model<AuditEntry>;

export function createAuditModel(conn: Connection): AuditModel {
  return (conn.models.AuditEntry as AuditModel | undefined) ?? conn.model<AuditEntry>("AuditEntry", auditSchema);
}

/** Entries of one chain after `afterSeq`, in order (reading only: the anomaly detector's recovery). */
export async function readChainAfter(model: AuditModel, chainId: string, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  return (await model.find({ chainId, seq: { $gt: afterSeq } }).sort({ seq: 1 }).limit(limit).lean()) as AuditEntry[];
}
