import { type Connection, type HydratedDocument, type Model, Schema, type Types } from "mongoose";
import { ROLES, type PublicUser, type Role } from "@glp1/shared";
import { encryptionPlugin } from "../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../infra/crypto/fieldCipher.js";

export interface User {
  _id: Types.ObjectId;
  role: Role;
  /** PHI, sealed at rest. */
  name: string;
  /** PHI, sealed at rest; looked up through `emailIndex`. */
  email: string;
  /** Keyed HMAC of the normalized email (blind index). */
  emailIndex: string;
  passwordHash: string;
  active: boolean;
  createdAt: Date;
  /** MFA (TOTP) is active: login needs a code or a recovery code. */
  mfaEnabled: boolean;
  /** The active TOTP secret, sealed by hand with the FieldCipher (AAD `users|mfaSecret|<id>`). */
  mfaSecret: string | null;
  /** A secret shown at enrollment and not yet confirmed (AAD `users|mfaPending|<id>`). */
  mfaPending: string | null;
  /** Keyed HMACs of the unused recovery codes (each is pulled when used). */
  mfaRecovery: string[];
  mfaPendingRecovery: string[];
  mfaEnabledAt: Date | null;
}

export type UserDoc = HydratedDocument<User>;
export type UserModel = Model<User>;

export function createUserModel(conn: Connection, cipher: FieldCipher): UserModel {
  if (conn.models.User) return conn.models.User as UserModel;
  const schema = new Schema<User>(
    {
      role: { type: String, required: true, enum: ROLES },
      name: { type: String, required: true },
      email: { type: String, required: true },
      emailIndex: { type: String, required: true, unique: true },
      passwordHash: { type: String, required: true },
      active: { type: Boolean, required: true, default: true },
      createdAt: { type: Date, required: true, default: () => new Date() },
      // Sealed by the MFA service itself (not the plugin), so enrollment can be a
      // conditional updateOne; the plugin only knows name and email.
      mfaEnabled: { type: Boolean, required: true, default: false },
      mfaSecret: { type: String, default: null },
      mfaPending: { type: String, default: null },
      mfaRecovery: { type: [String], default: [] },
      mfaPendingRecovery: { type: [String], default: [] },
      mfaEnabledAt: { type: Date, default: null },
    },
    { collection: "users", versionKey: false },
  );
  schema.plugin(encryptionPlugin, { cipher, fields: ["name", "email"] });
  return conn.model<User>("User", schema);
}

export function toPublicUser(u: Pick<User, "_id" | "role" | "name">): PublicUser {
  return { id: String(u._id), role: u.role, name: u.name };
}
