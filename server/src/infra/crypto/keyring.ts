import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Connection, Model } from "mongoose";
import { Schema } from "mongoose";

/**
 * Envelope encryption: data keys (32 random bytes each) are stored only wrapped by the
 * master key (AES-256-GCM). Each encrypted value names the data key that sealed it, so a
 * new key can become active while old values stay readable (issue: key rotation).
 */
export interface DataKey {
  id: string;
  key: Buffer;
}

interface KeyDoc {
  _id: string;
  wrapped: string;
  status: "active" | "retired";
  createdAt: Date;
}

const keySchema = new Schema<KeyDoc>(
  {
    _id: { type: String, required: true },
    wrapped: { type: String, required: true },
    status: { type: String, required: true, enum: ["active", "retired"] },
    createdAt: { type: Date, required: true },
  },
  { collection: "datakeys", versionKey: false },
);

const WRAP_AAD = Buffer.from("glp1:datakey:v1");

export function wrapKey(master: Buffer, key: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", master, iv);
  c.setAAD(WRAP_AAD);
  const ct = Buffer.concat([c.update(key), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]).toString("base64");
}

export function unwrapKey(master: Buffer, wrapped: string): Buffer {
  const raw = Buffer.from(wrapped, "base64");
  const d = createDecipheriv("aes-256-gcm", master, raw.subarray(0, 12));
  d.setAAD(WRAP_AAD);
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
}

export class Keyring {
  private constructor(
    private readonly keys: Map<string, Buffer>,
    private activeId: string,
  ) {}

  /** Load every data key from the database, creating the first one on a new database. */
  static async load(conn: Connection, master: Buffer): Promise<Keyring> {
    const KeyModel: Model<KeyDoc> = conn.models.DataKey ?? conn.model<KeyDoc>("DataKey", keySchema);
    let docs = await KeyModel.find().sort({ createdAt: 1 }).lean();
    if (docs.length === 0) {
      const id = randomBytes(4).toString("hex");
      try {
        await KeyModel.create({ _id: id, wrapped: wrapKey(master, randomBytes(32)), status: "active", createdAt: new Date() });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      docs = await KeyModel.find().sort({ createdAt: 1 }).lean();
    }
    const keys = new Map<string, Buffer>();
    for (const d of docs) {
      try {
        keys.set(d._id, unwrapKey(master, d.wrapped));
      } catch {
        throw new Error(`data key ${d._id} cannot be unwrapped: PHI_MASTER_KEY does not match this database`);
      }
    }
    // Several nodes may race to create the first key; the oldest active one wins everywhere.
    const active = docs.filter((d) => d.status === "active").at(-1) ?? docs.at(-1)!;
    return new Keyring(keys, active._id);
  }

  active(): DataKey {
    return { id: this.activeId, key: this.keys.get(this.activeId)! };
  }

  get(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new Error(`unknown data key ${id}`);
    return key;
  }
}
