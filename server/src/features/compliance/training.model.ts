import { type Connection, type Model, Schema, type Types } from "mongoose";

/**
 * One completed HIPAA training of a staff member. Records are evidence kept for the
 * retention period: there is no deletion path and no TTL; a correction is a new record.
 */
export interface TrainingRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  completedAt: Date;
  course: string;
  recordedBy: Types.ObjectId;
  recordedAt: Date;
}

const schema = new Schema<TrainingRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    completedAt: { type: Date, required: true },
    course: { type: String, required: true },
    recordedBy: { type: Schema.Types.ObjectId, required: true },
    recordedAt: { type: Date, required: true },
  },
  { collection: "trainingrecords", versionKey: false },
);
schema.index({ userId: 1, completedAt: -1 });

export type TrainingModel = Model<TrainingRecord>;

export function createTrainingModel(conn: Connection): TrainingModel {
  return (conn.models.TrainingRecord as TrainingModel | undefined) ?? conn.model<TrainingRecord>("TrainingRecord", schema);
}
