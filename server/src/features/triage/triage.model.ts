import { TRIAGE_CATEGORIES, TRIAGE_PRIORITIES, type TriageCategory, type TriagePriority } from "@glp1/shared";
import { type Connection, type Model, Schema, type Types } from "mongoose";

/**
 * The triage state of one conversation (`_id` is the conversation's id). An episode
 * starts with a patient message and ends when a physician replies (or support answers a
 * non-urgent one); the same document is reused for the next episode. No message text is
 * stored here: the preview is opened from the (sealed) message on an audited request.
 * Every change is a compare-and-set on `version`.
 */
export interface TriageItem {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  /** pending: waiting for its SLA to run out; open: in the queue; routed: sent to a physician; closed: answered. */
  status: "pending" | "open" | "routed" | "closed";
  category: TriageCategory;
  priority: TriagePriority;
  /** Which red-flag rule matched (never shown to support). */
  ruleId: string | null;
  /** The message that put (or kept) the item in the queue: the one a preview shows. */
  messageId: Types.ObjectId;
  waitingSince: Date;
  slaDueAt: Date;
  claimedBy: Types.ObjectId | null;
  routedTo: Types.ObjectId | null;
  updatedAt: Date;
  version: number;
}

export type TriageModel = Model<TriageItem>;

export function createTriageModel(conn: Connection): TriageModel {
  if (conn.models.TriageItem) return conn.models.TriageItem as TriageModel;
  const schema = new Schema<TriageItem>(
    {
      _id: { type: Schema.Types.ObjectId, required: true },
      patientId: { type: Schema.Types.ObjectId, required: true },
      status: { type: String, required: true, enum: ["pending", "open", "routed", "closed"] },
      category: { type: String, required: true, enum: TRIAGE_CATEGORIES },
      priority: { type: String, required: true, enum: TRIAGE_PRIORITIES },
      ruleId: { type: String, default: null },
      messageId: { type: Schema.Types.ObjectId, required: true },
      waitingSince: { type: Date, required: true },
      slaDueAt: { type: Date, required: true },
      claimedBy: { type: Schema.Types.ObjectId, default: null },
      routedTo: { type: Schema.Types.ObjectId, default: null },
      updatedAt: { type: Date, required: true, default: () => new Date() },
      version: { type: Number, required: true, default: 1 },
    },
    { collection: "triage", versionKey: false },
  );
  schema.index({ status: 1, slaDueAt: 1 });
  return conn.model<TriageItem>("TriageItem", schema);
}
