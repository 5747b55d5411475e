import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Connection, Model } from "mongoose";
import { Schema } from "mongoose";

/**
 * Envelope encryption: data keys (32 random bytes each) are stored only wrapped by the
 * master key. Each encrypted value names the data key that sealed it, so a new key can
 * become active while old values stay readable (`npm run keys:rotate`).
 */
export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * The one thing that touches the master key: wrap and unwrap data keys. The env
 * implementation holds the key in memory (PHI_MASTER_KEY); a cloud KMS implementation
 * calls Encrypt/Decrypt on a key that never leaves the KMS (see docs/security.md).
 */
export interface KeyWrapper {
  wrap(key: Buffer): Promise<string> | string;
  unwrap(wrapped: string): Promise<Buffer> | Buffer;
}

/**
 * A key's life: `staged` (every node may read with it, nobody seals with it yet: a
 * rotation waits here until every node has loaded it), `active` (the newest active key
 * seals new values), `retired` (reads only).
 */
export type DataKeyStatus = "staged" | "active" | "retired";

export interface KeyDoc {
  _id: string;
  wrapped: string;
  status: DataKeyStatus;
  createdAt: Date;
}

const keySchema = new Schema<KeyDoc>(
  {
    _id: { type: String, required: true },
    wrapped: { type: String, required: true },
    status: { type: String, required: true, enum: ["staged", "active", "retired"] },
    createdAt: { type: Date, required: true },
  },
  { collection: "datakeys", versionKey: false },
);

export const keyModelOf = (conn: Connection): Model<KeyDoc> => (conn.models.DataKey as Model<KeyDoc> | undefined) ?? conn.model<KeyDoc>("DataKey", keySchema);

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

/** The master key from the environment (PHI_MASTER_KEY), AES-256-GCM key wrap. */
export class EnvKeyWrapper implements KeyWrapper {
  constructor(private readonly master: Buffer) {}
  wrap(key: Buffer): string {
    return wrapKey(this.master, key);
  }
  unwrap(wrapped: string): Buffer {
    return unwrapKey(this.master, wrapped);
  }
}

/** A sealed value names a data key this node does not hold (yet). */
export class UnknownDataKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`unknown data key ${keyId}`);
    this.name = "UnknownDataKeyError";
  }
}

/** How often a running node re-reads the key list (new keys, a new active key). */
export const DEFAULT_KEY_REFRESH_MS = 30_000;

const asWrapper = (w: Buffer | KeyWrapper): KeyWrapper => (Buffer.isBuffer(w) ? new EnvKeyWrapper(w) : w);

/** The newest active key (several nodes may race to create the first; a rotation briefly has two). */
const activeOf = (docs: KeyDoc[]) => (docs.filter((d) => d.status === "active").at(-1) ?? docs.filter((d) => d.status !== "staged").at(-1) ?? docs.at(-1))!;

export class Keyring {
  private refreshing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastMissReload = 0;

  private constructor(
    private readonly store: Model<KeyDoc>,
    private readonly wrapper: KeyWrapper,
    private readonly keys: Map<string, Buffer>,
    private activeId: string,
  ) {}

  /** Load every data key from the database, creating the first one on a new database. */
  static async load(conn: Connection, master: Buffer | KeyWrapper): Promise<Keyring> {
    const store = keyModelOf(conn);
    const wrapper = asWrapper(master);
    let docs = await store.find().sort({ createdAt: 1, _id: 1 }).lean();
    if (docs.length === 0) {
      const id = randomBytes(4).toString("hex");
      try {
        await store.create({ _id: id, wrapped: await wrapper.wrap(randomBytes(32)), status: "active", createdAt: new Date() });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      docs = await store.find().sort({ createdAt: 1, _id: 1 }).lean();
    }
    const keys = new Map<string, Buffer>();
    for (const d of docs) keys.set(d._id, await unwrapOrExplain(wrapper, d));
    return new Keyring(store, wrapper, keys, activeOf(docs)._id);
  }

  active(): DataKey {
    return { id: this.activeId, key: this.keys.get(this.activeId)! };
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** A data key by id. An unknown id starts a reload in the background, so the next try finds a key made since. */
  get(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) {
      // At most one background reload a second, however many values name a key nobody has.
      if (Date.now() - this.lastMissReload > 1000) {
        this.lastMissReload = Date.now();
        void this.refresh().catch(() => undefined);
      }
      throw new UnknownDataKeyError(id);
    }
    return key;
  }

  /** Re-read the key list: learn new keys and the current active key (one reload at a time). */
  refresh(): Promise<void> {
    return (this.refreshing ??= (async () => {
      try {
        const docs = await this.store.find().sort({ createdAt: 1, _id: 1 }).lean();
        if (docs.length === 0) return;
        for (const d of docs) if (!this.keys.has(d._id)) this.keys.set(d._id, await unwrapOrExplain(this.wrapper, d));
        this.activeId = activeOf(docs)._id;
      } finally {
        this.refreshing = null;
      }
    })());
  }

  /** Store a new data key, wrapped by the master key (an existing id is left as it is: resumable). */
  async createKey(id: string, status: DataKeyStatus): Promise<void> {
    try {
      await this.store.create({ _id: id, wrapped: await this.wrapper.wrap(randomBytes(32)), status, createdAt: new Date() });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    await this.refresh();
  }

  /** Make `id` the key that seals new values everywhere; every other active key retires (stays readable). */
  async promote(id: string): Promise<void> {
    const r = await this.store.updateOne({ _id: id }, { $set: { status: "active" } });
    if (r.matchedCount === 0) throw new Error(`no data key ${id}`);
    await this.store.updateMany({ _id: { $ne: id }, status: "active" }, { $set: { status: "retired" } });
    await this.refresh();
  }

  /** Refresh every `ms` until `stopRefresh` (a running server; errors wait for the next tick). */
  startRefresh(ms = DEFAULT_KEY_REFRESH_MS): void {
    this.stopRefresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), ms);
    this.timer.unref();
  }

  stopRefresh(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

async function unwrapOrExplain(wrapper: KeyWrapper, d: KeyDoc): Promise<Buffer> {
  try {
    return await wrapper.unwrap(d.wrapped);
  } catch {
    throw new Error(`data key ${d._id} cannot be unwrapped: the master key (PHI_MASTER_KEY or KMS key) does not match this database`);
  }
}
