import { type Connection, type HydratedDocument, type Model, Schema, type Types } from "mongoose";
import { ALERT_KINDS, ALERT_SEVERITIES, type AlertKind, type AlertSeverity } from "@glp1/shared";
import { encryptionPlugin } from "../../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../../infra/crypto/fieldCipher.js";

/** A red flag raised for a patient's care team. Evidence (values that tripped the rule) is PHI. */
export interface Alert {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  kind: AlertKind;
  severity: AlertSeverity;
  /** JSON of the evidence, sealed at rest. */
  evidence: string;
  source: "reading" | "intake" | "system";
  sourceId: Types.ObjectId | null;
  status: "open" | "acknowledged";
  /** `patientId:kind` while open: at most one open alert of a kind per patient. Unset on ack. */
  openKey?: string;
  occurrences: number;
  createdAt: Date;
  lastSeenAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: Types.ObjectId | null;
}

export type AlertModel = Model<Alert>;
export type AlertDoc = HydratedDocument<Alert>;

export function createAlertModel(conn: Connection, cipher: FieldCipher): AlertModel {
  if (conn.models.Alert) return conn.models.Alert as AlertModel;
  const schema = new Schema<Alert>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true },
      kind: { type: String, required: true, enum: ALERT_KINDS },
      severity: { type: String, required: true, enum: ALERT_SEVERITIES },
      evidence: { type: String, required: true },
      source: { type: String, required: true, enum: ["reading", "intake", "system"] },
      sourceId: { type: Schema.Types.ObjectId, default: null },
      status: { type: String, required: true, enum: ["open", "acknowledged"], default: "open" },
      openKey: { type: String },
      occurrences: { type: Number, required: true, default: 1 },
      createdAt: { type: Date, required: true, default: () => new Date() },
      lastSeenAt: { type: Date, required: true, default: () => new Date() },
      acknowledgedAt: { type: Date, default: null },
      acknowledgedBy: { type: Schema.Types.ObjectId, default: null },
    },
    { collection: "alerts", versionKey: false },
  );
  schema.index({ openKey: 1 }, { unique: true, sparse: true });
  schema.index({ patientId: 1, createdAt: -1 });
  schema.plugin(encryptionPlugin, { cipher, fields: ["evidence"] });
  return conn.model<Alert>("Alert", schema);
}
