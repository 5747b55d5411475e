import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import type { Prescription, PrescriptionSignature, SigningKeyModel } from "./prescriptions.model.js";

/** Version tag inside the signed bytes, so a future canonical form cannot be confused with this one. */
export const CANONICAL_VERSION = "glp1-rx-v1";

/** The clinical fields a signature covers. */
export type SignedFields = Pick<
  Prescription,
  "_id" | "patientId" | "physicianId" | "drug" | "doseMg" | "directions" | "quantity" | "refills" | "overrideReason" | "signedAt"
>;

/**
 * The bytes a prescription signature covers: a JSON array in a fixed order (no object key
 * ordering to agree on), ids as hex strings, the dose as the stored number, signedAt as
 * ISO-8601 UTC. Verification recomputes this from the stored record, so any edit of a
 * covered field, made anywhere, breaks the signature.
 */
export function canonicalPrescription(p: SignedFields): Buffer {
  if (!p.signedAt) throw new Error("a prescription is signed with its signedAt");
  return Buffer.from(
    JSON.stringify([
      CANONICAL_VERSION,
      String(p._id),
      String(p.patientId),
      String(p.physicianId),
      p.drug,
      p.doseMg,
      p.directions,
      p.quantity,
      p.refills,
      p.overrideReason ?? null,
      p.signedAt.toISOString(),
    ]),
    "utf8",
  );
}

/**
 * Per-physician Ed25519 keys. A physician's key pair is made on their first signature;
 * the private key is stored only sealed (FieldCipher through the encryption plugin) and
 * opened in memory to sign.
 */
export function createSigner(deps: { signingKeys: SigningKeyModel }) {
  const { signingKeys } = deps;

  async function keyFor(physicianId: string) {
    const existing = await signingKeys.findOne({ physicianId });
    if (existing) return existing;
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    try {
      return await signingKeys.create({
        _id: randomBytes(8).toString("hex"),
        physicianId,
        alg: "Ed25519",
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
        privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      });
    } catch (err) {
      // Two first signatures raced; the unique index kept one key. Use it.
      if ((err as { code?: number }).code !== 11000) throw err;
      const winner = await signingKeys.findOne({ physicianId });
      if (!winner) throw err;
      return winner;
    }
  }

  /** Sign a prescription's clinical fields with the physician's key (made on first use). */
  async function signPrescription(p: SignedFields): Promise<PrescriptionSignature> {
    const key = await keyFor(String(p.physicianId));
    const value = sign(null, canonicalPrescription(p), createPrivateKey(key.privateKeyPem));
    return { keyId: key._id, alg: "Ed25519", value: value.toString("base64") };
  }

  /**
   * Check a stored prescription's signature against the key it names. The key must
   * belong to the prescribing physician. Reads only the public half of the key.
   */
  async function verifyPrescription(p: SignedFields, sig: PrescriptionSignature): Promise<boolean> {
    const key = await signingKeys.findById(sig.keyId, { physicianId: 1, publicKeyPem: 1 }).lean();
    if (!key || String(key.physicianId) !== String(p.physicianId) || sig.alg !== "Ed25519") return false;
    try {
      return verify(null, canonicalPrescription(p), createPublicKey(key.publicKeyPem), Buffer.from(sig.value, "base64"));
    } catch {
      return false;
    }
  }

  return { signPrescription, verifyPrescription };
}

export type Signer = ReturnType<typeof createSigner>;
