import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import type { Keyring } from "./keyring.js";

/** Prefix of every sealed value; anything else in an encrypted field is refused on read. */
export const SEALED_PREFIX = "enc:v1:";

/**
 * AES-256-GCM per field with a random 96-bit IV. The associated data binds a value to
 * the record and field it belongs to, so a ciphertext copied to another record or field
 * fails to open. Format: `enc:v1:<keyId>:<base64(iv | ciphertext | tag)>`.
 */
export class FieldCipher {
  private readonly blindKey: Buffer;

  constructor(
    private readonly keyring: Keyring,
    masterKey: Buffer,
  ) {
    this.blindKey = Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), "glp1:blind-index:v1", 32));
  }

  /** Seal with the active data key, or with `keyId` (key rotation re-seals under its target key). */
  seal(plain: string, aad: string, keyId?: string): string {
    const { id, key } = keyId ? { id: keyId, key: this.keyring.get(keyId) } : this.keyring.active();
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
    return `${SEALED_PREFIX}${id}:${Buffer.concat([iv, ct, c.getAuthTag()]).toString("base64")}`;
  }

  open(sealed: string, aad: string): string {
    if (!sealed.startsWith(SEALED_PREFIX)) throw new Error("field is not sealed");
    const rest = sealed.slice(SEALED_PREFIX.length);
    const sep = rest.indexOf(":");
    const raw = Buffer.from(rest.slice(sep + 1), "base64");
    const d = createDecipheriv("aes-256-gcm", this.keyring.get(rest.slice(0, sep)), raw.subarray(0, 12));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString("utf8");
  }

  /** Re-read the data keys (a value named a key made after this node loaded its keyring). */
  refreshKeys(): Promise<void> {
    return this.keyring.refresh();
  }

  /** The key id new values are sealed with on this node. */
  activeKeyId(): string {
    return this.keyring.active().id;
  }

  /** The key id a sealed value was made with (for rotation progress). */
  static keyIdOf(sealed: string): string | null {
    if (!sealed.startsWith(SEALED_PREFIX)) return null;
    return sealed.slice(SEALED_PREFIX.length).split(":", 1)[0] ?? null;
  }

  /** Keyed HMAC for equality lookups (login email) without storing the value. */
  blindIndex(kind: string, value: string): string {
    return createHmac("sha256", this.blindKey).update(`${kind}\u0000${value}`).digest("base64url");
  }
}

export function aadFor(collection: string, field: string, id: unknown): string {
  return `${collection}|${field}|${String(id)}`;
}
