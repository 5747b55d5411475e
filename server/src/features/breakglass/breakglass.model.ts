import { type Connection, type Model, Schema, type Types } from "mongoose";
import { encryptionPlugin } from "../../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../../infra/crypto/fieldCipher.js";

/**
 * The record of a break-glass grant (who, whom, why, until when). The live grant itself
 * is a Redis key with a TTL (auth/access.ts); this record is the permanent trail. The
 * reason is free text about a patient, so it is sealed at rest.
 */
export interface BreakGlassGrant {
  _id: Types.ObjectId;
  physicianId: Types.ObjectId;
  patientId: Types.ObjectId;
  /** PHI, sealed. */
  reason: string;
  createdAt: Date;
  expiresAt: Date;
}

export type BreakGlassModel = Model<BreakGlassGrant>;

export function createBreakGlassModel(conn: Connection, cipher: FieldCipher): BreakGlassModel {
  if (conn.models.BreakGlassGrant) return conn.models.BreakGlassGrant as BreakGlassModel;
  const schema = new Schema<BreakGlassGrant>(
    {
      physicianId: { type: Schema.Types.ObjectId, required: true },
      patientId: { type: Schema.Types.ObjectId, required: true },
      reason: { type: String, required: true },
      createdAt: { type: Date, required: true, default: () => new Date() },
      expiresAt: { type: Date, required: true },
    },
    { collection: "breakglass", versionKey: false },
  );
  schema.index({ patientId: 1, createdAt: -1 });
  schema.plugin(encryptionPlugin, { cipher, fields: ["reason"] });
  return conn.model<BreakGlassGrant>("BreakGlassGrant", schema);
}
