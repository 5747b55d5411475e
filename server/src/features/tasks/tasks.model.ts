import { type Connection, type Model, Schema, type Types } from "mongoose";

export const TASK_KINDS = ["intake_review", "refill_request"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Work for a patient's care team: review an intake, answer a refill request. No PHI inside. */
export interface Task {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  kind: TaskKind;
  /** The record the task is about (intake id, prescription id). */
  refId: Types.ObjectId;
  status: "open" | "done";
  createdAt: Date;
  doneAt: Date | null;
  doneBy: Types.ObjectId | null;
}

export type TaskModel = Model<Task>;

export function createTaskModel(conn: Connection): TaskModel {
  if (conn.models.Task) return conn.models.Task as TaskModel;
  const schema = new Schema<Task>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true },
      kind: { type: String, required: true, enum: TASK_KINDS },
      refId: { type: Schema.Types.ObjectId, required: true },
      status: { type: String, required: true, enum: ["open", "done"], default: "open" },
      createdAt: { type: Date, required: true, default: () => new Date() },
      doneAt: { type: Date, default: null },
      doneBy: { type: Schema.Types.ObjectId, default: null },
    },
    { collection: "tasks", versionKey: false },
  );
  schema.index({ kind: 1, refId: 1 }, { unique: true });
  schema.index({ patientId: 1, status: 1 });
  return conn.model<Task>("Task", schema);
}
