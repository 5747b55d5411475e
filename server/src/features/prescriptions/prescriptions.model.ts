import { type Connection, type HydratedDocument, type Model, Schema, type Types } from "mongoose";
import {
  DRUG_NAMES,
  type DrugName,
  PRESCRIPTION_STATUSES,
  type PrescriptionStatus,
  type PrescriptionView,
  TITRATION_KINDS,
  TITRATION_RULES,
  type TitrationKind,
  type TitrationRule,
} from "@glp1/shared";
import { encryptionPlugin } from "../../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../../infra/crypto/fieldCipher.js";

/** Where a signed prescription's signature lives, and which key made it. */
export interface PrescriptionSignature {
  keyId: string;
  alg: "Ed25519";
  /** base64 of the 64-byte Ed25519 signature over `canonicalPrescription(...)`. */
  value: string;
}

/**
 * One prescription. Free text written by the physician (`directions`, `overrideReason`)
 * is sealed at rest. Drug, dose, quantities, status and timestamps stay in clear: the
 * ladder check, the history query, the status machine's conditional updates and the
 * dashboard all filter or sort on them, which ciphertext cannot serve; on their own
 * (without a name, which is sealed in `users`) they identify no one. Their integrity is
 * covered by the signature once signed.
 */
export interface Prescription {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  physicianId: Types.ObjectId;
  drug: DrugName;
  doseMg: number;
  /** PHI, sealed. */
  directions: string;
  quantity: number;
  refills: number;
  status: PrescriptionStatus;
  /** PHI, sealed: the physician's written reason for prescribing outside the ladder. */
  overrideReason: string | null;
  /** The ladder rule the reason overrode (null when no rule was broken). */
  overriddenRule: TitrationRule | null;
  titrationKind: TitrationKind;
  createdAt: Date;
  signedAt: Date | null;
  sentAt: Date | null;
  filledAt: Date | null;
  cancelledAt: Date | null;
  /** Who recorded the fill (pharmacy confirmation entered by a physician). */
  filledBy: Types.ObjectId | null;
  signature: PrescriptionSignature | null;
}

export type PrescriptionModel = Model<Prescription>;
export type PrescriptionDoc = HydratedDocument<Prescription>;

/** A physician's Ed25519 signing key pair. */
export interface SigningKey {
  /** Key id, named on every signature it made. */
  _id: string;
  physicianId: Types.ObjectId;
  alg: "Ed25519";
  /** SPKI PEM, in clear: anyone verifying needs it, and it reveals nothing. */
  publicKeyPem: string;
  /** PKCS#8 PEM, sealed with the FieldCipher (AAD binds it to this key record). */
  privateKeyPem: string;
  createdAt: Date;
}

export type SigningKeyModel = Model<SigningKey>;

export function createPrescriptionModels(conn: Connection, cipher: FieldCipher) {
  if (conn.models.Prescription) {
    return { prescriptions: conn.models.Prescription as PrescriptionModel, signingKeys: conn.models.SigningKey as SigningKeyModel };
  }
  const signatureSchema = new Schema<PrescriptionSignature>(
    {
      keyId: { type: String, required: true },
      alg: { type: String, required: true, enum: ["Ed25519"] },
      value: { type: String, required: true },
    },
    { _id: false },
  );
  const schema = new Schema<Prescription>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true },
      physicianId: { type: Schema.Types.ObjectId, required: true },
      drug: { type: String, required: true, enum: DRUG_NAMES },
      doseMg: { type: Number, required: true },
      directions: { type: String, required: true },
      quantity: { type: Number, required: true },
      refills: { type: Number, required: true },
      status: { type: String, required: true, enum: PRESCRIPTION_STATUSES, default: "draft" },
      overrideReason: { type: String, default: null },
      overriddenRule: { type: String, enum: [...TITRATION_RULES, null], default: null },
      titrationKind: { type: String, required: true, enum: TITRATION_KINDS },
      createdAt: { type: Date, required: true, default: () => new Date() },
      signedAt: { type: Date, default: null },
      sentAt: { type: Date, default: null },
      filledAt: { type: Date, default: null },
      cancelledAt: { type: Date, default: null },
      filledBy: { type: Schema.Types.ObjectId, default: null },
      signature: { type: signatureSchema, default: null },
    },
    { collection: "prescriptions", versionKey: false },
  );
  schema.index({ patientId: 1, createdAt: -1 });
  schema.index({ patientId: 1, status: 1, signedAt: 1 });
  schema.plugin(encryptionPlugin, { cipher, fields: ["directions", "overrideReason"] });

  const keySchema = new Schema<SigningKey>(
    {
      _id: { type: String, required: true },
      physicianId: { type: Schema.Types.ObjectId, required: true },
      alg: { type: String, required: true, enum: ["Ed25519"] },
      publicKeyPem: { type: String, required: true },
      privateKeyPem: { type: String, required: true },
      createdAt: { type: Date, required: true, default: () => new Date() },
    },
    { collection: "signingkeys", versionKey: false },
  );
  // One key per physician: two first signs racing create one key (the loser re-reads).
  keySchema.index({ physicianId: 1 }, { unique: true });
  keySchema.plugin(encryptionPlugin, { cipher, fields: ["privateKeyPem"] });

  return {
    prescriptions: conn.model<Prescription>("Prescription", schema),
    signingKeys: conn.model<SigningKey>("SigningKey", keySchema),
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toPrescriptionView(p: Prescription): PrescriptionView {
  return {
    id: String(p._id),
    patientId: String(p.patientId),
    physicianId: String(p.physicianId),
    drug: p.drug,
    doseMg: p.doseMg,
    directions: p.directions,
    quantity: p.quantity,
    refills: p.refills,
    status: p.status,
    override: p.overrideReason ? { reason: p.overrideReason, rule: p.overriddenRule } : null,
    titration: { kind: p.titrationKind },
    createdAt: p.createdAt.toISOString(),
    signedAt: iso(p.signedAt),
    sentAt: iso(p.sentAt),
    filledAt: iso(p.filledAt),
    cancelledAt: iso(p.cancelledAt),
    signature: p.signature ? { keyId: p.signature.keyId, alg: p.signature.alg } : null,
  };
}
