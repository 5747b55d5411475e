import { type Connection, type Model, Schema, type Types } from "mongoose";

/**
 * Per-patient summary of the readings the dashboard and cohort figures need (weights
 * with their times, dose times), kept so that a panel of thousands is one document per
 * patient rather than every reading. The summary is PHI: `data` is sealed by hand with
 * the FieldCipher (AAD `patientstats|data|<patientId>`) so updates can be conditional on
 * `version` (single-document compare-and-set; the encryption plugin would refuse them).
 */
export interface PatientStatsRecord {
  /** The patient's id. */
  _id: Types.ObjectId;
  data: string;
  version: number;
  updatedAt: Date;
}

export type PatientStatsModel = Model<PatientStatsRecord>;

export function createPatientStatsModel(conn: Connection): PatientStatsModel {
  if (conn.models.PatientStats) return conn.models.PatientStats as PatientStatsModel;
  const schema = new Schema<PatientStatsRecord>(
    {
      _id: { type: Schema.Types.ObjectId, required: true },
      data: { type: String, required: true },
      version: { type: Number, required: true, default: 1 },
      updatedAt: { type: Date, required: true, default: () => new Date() },
    },
    { collection: "patientstats", versionKey: false },
  );
  return conn.model<PatientStatsRecord>("PatientStats", schema);
}
