import { type Connection, type HydratedDocument, type Model, Schema, type Types } from "mongoose";
import { METRIC_KINDS, type MetricKind } from "@glp1/shared";
import { encryptionPlugin } from "../../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../../infra/crypto/fieldCipher.js";

/**
 * One reading. The values (canonical and as entered) are PHI and sealed; the kind and
 * the observation time stay in clear so a patient's history can be queried by kind and
 * time range without opening every record.
 */
export interface ReadingRecord {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  kind: MetricKind;
  /** JSON of the canonical value, sealed. */
  value: string;
  unit: string;
  /** JSON of `{value, unit}` as the patient entered it, sealed. */
  entered: string;
  observedAt: Date;
  createdAt: Date;
  /** `<requestId>:<index>` of a report, so a retried report is not stored twice. */
  dedupeKey?: string;
}

export type ReadingModel = Model<ReadingRecord>;
export type ReadingDoc = HydratedDocument<ReadingRecord>;

export function createReadingModel(conn: Connection, cipher: FieldCipher): ReadingModel {
  if (conn.models.Reading) return conn.models.Reading as ReadingModel;
  const schema = new Schema<ReadingRecord>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true },
      kind: { type: String, required: true, enum: METRIC_KINDS },
      value: { type: String, required: true },
      unit: { type: String, required: true },
      entered: { type: String, required: true },
      observedAt: { type: Date, required: true },
      createdAt: { type: Date, required: true, default: () => new Date() },
      dedupeKey: { type: String },
    },
    { collection: "readings", versionKey: false },
  );
  schema.index({ patientId: 1, kind: 1, observedAt: 1 });
  schema.index({ patientId: 1, dedupeKey: 1 }, { unique: true, sparse: true });
  schema.plugin(encryptionPlugin, { cipher, fields: ["value", "entered"] });
  return conn.model<ReadingRecord>("Reading", schema);
}
