import { type Connection, type Model, Schema, type Types } from "mongoose";
import { ELIGIBILITY_STATUSES, type EligibilityStatus } from "@glp1/shared";
import { encryptionPlugin } from "../../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../../infra/crypto/fieldCipher.js";

/**
 * One submitted eligibility intake. Submissions are versioned per patient (1, 2, 3…) and
 * never overwritten: a new answer set is a new document.
 *
 * What is sealed and why: the answers are PHI, and so is what the rules made of them —
 * the BMI and the reasons (a reason such as `pregnancy` or `suicidal` discloses the
 * answer itself) — so both are sealed JSON. Left in clear: the patient id, the version
 * number, the questionnaire version and the eligibility `status`. The status is kept in
 * clear because worklists must filter on it in the database (sealed fields cannot be
 * queried); it is a coarse triage bucket with no diagnosis, the least that listing needs.
 */
export interface Intake {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  version: number;
  questionnaireVersion: string;
  /** JSON of the answers, sealed at rest. */
  answers: string;
  /** JSON of `{bmi, reasons}`, sealed at rest. */
  assessment: string;
  status: EligibilityStatus;
  createdAt: Date;
}

export type IntakeModel = Model<Intake>;

export function createIntakeModel(conn: Connection, cipher: FieldCipher): IntakeModel {
  if (conn.models.Intake) return conn.models.Intake as IntakeModel;
  const schema = new Schema<Intake>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true },
      version: { type: Number, required: true, min: 1 },
      questionnaireVersion: { type: String, required: true },
      answers: { type: String, required: true },
      assessment: { type: String, required: true },
      status: { type: String, required: true, enum: ELIGIBILITY_STATUSES },
      createdAt: { type: Date, required: true, default: () => new Date() },
    },
    { collection: "intakes", versionKey: false },
  );
  // One document per (patient, version): two racing submissions cannot share a number.
  schema.index({ patientId: 1, version: -1 }, { unique: true });
  schema.index({ status: 1, createdAt: -1 });
  schema.plugin(encryptionPlugin, { cipher, fields: ["answers", "assessment"] });
  return conn.model<Intake>("Intake", schema);
}
