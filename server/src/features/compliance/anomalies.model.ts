import type { AnomalyResolution, AnomalyRule, AnomalyView } from "@glp1/shared";
import { ANOMALY_RESOLUTIONS, ANOMALY_RULES } from "@glp1/shared";
import { type Connection, type Model, Schema, type Types } from "mongoose";

/**
 * A finding of the audit-stream detector. While open it carries `openKey`
 * (`<rule>|<subject>`) under a sparse unique index: that is what keeps one open anomaly
 * per rule and subject across every node. Closing unsets it. Kept like the audit log:
 * no TTL and no deletion path.
 */
export interface AnomalyDoc {
  _id: Types.ObjectId;
  rule: AnomalyRule;
  subject: string;
  userId: Types.ObjectId | null;
  windowStart: Date;
  windowEnd: Date;
  count: number;
  threshold: number;
  status: "open" | "closed";
  openKey?: string;
  createdAt: Date;
  lastSeenAt: Date;
  closedBy: Types.ObjectId | null;
  closedAt: Date | null;
  resolution: AnomalyResolution | null;
}

const schema = new Schema<AnomalyDoc>(
  {
    rule: { type: String, required: true, enum: ANOMALY_RULES },
    subject: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, default: null },
    windowStart: { type: Date, required: true },
    windowEnd: { type: Date, required: true },
    count: { type: Number, required: true },
    threshold: { type: Number, required: true },
    status: { type: String, required: true, enum: ["open", "closed"] },
    openKey: { type: String },
    createdAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    closedBy: { type: Schema.Types.ObjectId, default: null },
    closedAt: { type: Date, default: null },
    resolution: { type: String, enum: [...ANOMALY_RESOLUTIONS, null], default: null },
  },
  { collection: "anomalies", versionKey: false },
);
schema.index({ openKey: 1 }, { unique: true, sparse: true });
schema.index({ status: 1, createdAt: -1 });
schema.index({ createdAt: -1 });

export type AnomalyModel = Model<AnomalyDoc>;

export function createAnomalyModel(conn: Connection): AnomalyModel {
  return (conn.models.Anomaly as AnomalyModel | undefined) ?? conn.model<AnomalyDoc>("Anomaly", schema);
}

export function toAnomalyView(d: Omit<AnomalyDoc, "openKey">): AnomalyView {
  return {
    id: String(d._id),
    rule: d.rule,
    subject: d.subject,
    userId: d.userId ? String(d.userId) : null,
    windowStart: d.windowStart.toISOString(),
    windowEnd: d.windowEnd.toISOString(),
    count: d.count,
    threshold: d.threshold,
    status: d.status,
    createdAt: d.createdAt.toISOString(),
    lastSeenAt: d.lastSeenAt.toISOString(),
    closedBy: d.closedBy ? String(d.closedBy) : null,
    closedAt: d.closedAt ? d.closedAt.toISOString() : null,
    resolution: d.resolution,
  };
}
