import { type Connection, type Model, Schema, type Types } from "mongoose";

/** Links a patient to the physicians who care for them. One document per patient. */
export interface CareTeam {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  physicianIds: Types.ObjectId[];
  updatedAt: Date;
}

export type CareTeamModel = Model<CareTeam>;

export function createCareTeamModel(conn: Connection): CareTeamModel {
  if (conn.models.CareTeam) return conn.models.CareTeam as CareTeamModel;
  const schema = new Schema<CareTeam>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true, unique: true },
      physicianIds: { type: [Schema.Types.ObjectId], required: true },
      updatedAt: { type: Date, required: true, default: () => new Date() },
    },
    { collection: "careteams", versionKey: false },
  );
  // An array field: "multikey" in the name keeps the embedded database from using this
  // index for equality (it would miss elements; see docs/ferretdb.md).
  schema.index({ physicianIds: 1 }, { name: "physicianIds_multikey" });
  return conn.model<CareTeam>("CareTeam", schema);
}
