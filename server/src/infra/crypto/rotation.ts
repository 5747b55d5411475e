import { randomBytes } from "node:crypto";
import type { Connection, mongo } from "mongoose";
import { aadFor, FieldCipher, SEALED_PREFIX } from "./fieldCipher.js";
import { DEFAULT_KEY_REFRESH_MS, type Keyring } from "./keyring.js";

/**
 * Never walked by a rotation: the audit log (append-only, and it holds no PHI), the keys
 * themselves, and the rotation's own state.
 */
export const ROTATION_SKIPPED_COLLECTIONS = ["audit", "datakeys", "keyrotations"] as const;

/** Resumable state of a rotation, one document per rotation (`_id` = the target key id). */
interface RotationDoc {
  _id: string;
  /** Set while the rotation is unfinished; a sparse unique index allows one such at a time. */
  open?: true;
  status: "staging" | "resealing" | "sweeping" | "done";
  startedAt: Date;
  promotedAt: Date | null;
  finishedAt: Date | null;
  /** Per collection, the last `_id` processed in the current phase. */
  cursors: Record<string, unknown>;
  /** Collections finished in the current phase. */
  done: string[];
  resealed: number;
  /** Values changed by someone else between read and write (left to the sweep). */
  skipped: number;
  /** Values that would not open (wrong AAD, damaged): reported, never rewritten. */
  unreadable: number;
}

export interface RotationProgress {
  phase: "waiting" | "resealing" | "sweeping";
  collection: string | null;
  /** Documents walked so far in this collection, of `total`. */
  processed: number;
  total: number;
  /** Collections finished in this phase, of `collections`. */
  collectionIndex: number;
  collections: number;
  resealed: number;
}

export interface RotationOptions {
  /** Documents per batch (default 200). */
  batchSize?: number;
  /**
   * How long every node needs to notice a key change (default: twice the keyring refresh
   * interval). The new key is staged this long before anything is sealed with it, and
   * the final sweep starts this long after it became active.
   */
  graceMs?: number;
  /** Stop after this many batches (an interruption, for tests); re-running resumes. */
  maxBatches?: number;
  onProgress?: (p: RotationProgress) => void;
}

export interface RotationResult {
  keyId: string;
  resumed: boolean;
  complete: boolean;
  resealed: number;
  skipped: number;
  unreadable: number;
  /** Values still under another key after the sweep (0 on a quiet database). */
  remaining: number;
  collections: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Rotate the field-encryption data key while the servers keep running:
 * 1. stage a new data key (wrapped by the master key), readable by every node once it
 *    refreshes its keyring, then wait `graceMs`;
 * 2. make it the active key (every other key retires but stays readable);
 * 3. re-seal every sealed top-level field of every collection in `_id` batches: open with
 *    the old key, seal with the new, written with a compare-and-set
 *    `updateOne({_id, field: old}, {$set: {field: new}})` on the raw collection, so a
 *    concurrent edit is never overwritten;
 * 4. after `graceMs` more (every node now seals with the new key), sweep once more for
 *    stragglers written under the old key meanwhile.
 * Progress lives in `keyrotations`: a crash or an interruption resumes where it stopped.
 * Every sealed value is `aadFor(collection, field, _id)`-bound, plugin-sealed or not.
 */
export async function rotateKeys(db: { conn: Connection; keyring: Keyring; cipher: FieldCipher }, opts: RotationOptions = {}): Promise<RotationResult> {
  const { conn, keyring, cipher } = db;
  const batchSize = opts.batchSize ?? 200;
  const graceMs = opts.graceMs ?? 2 * DEFAULT_KEY_REFRESH_MS;
  const raw = conn.db!;
  const states = raw.collection<RotationDoc>("keyrotations");
  await states.createIndex({ open: 1 }, { unique: true, sparse: true });

  let found = await states.findOne({ open: true });
  const resumed = found !== null;
  if (!found) {
    const doc: RotationDoc = {
      _id: randomBytes(4).toString("hex"),
      open: true,
      status: "staging",
      startedAt: new Date(),
      promotedAt: null,
      finishedAt: null,
      cursors: {},
      done: [],
      resealed: 0,
      skipped: 0,
      unreadable: 0,
    };
    try {
      await states.insertOne(doc);
      found = doc;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      found = await states.findOne({ open: true }); // another rotation started at the same moment: join it
      if (!found) throw err;
    }
  }
  let state: RotationDoc = found;
  const keyId = state._id;
  const progress = (p: Omit<RotationProgress, "resealed">) => opts.onProgress?.({ ...p, resealed: state.resealed });

  if (state.status === "staging") {
    await keyring.createKey(keyId, "staged");
    progress({ phase: "waiting", collection: null, processed: 0, total: 0, collectionIndex: 0, collections: 0 });
    await sleep(graceMs);
    await keyring.promote(keyId);
    state = (await states.findOneAndUpdate({ _id: keyId }, { $set: { status: "resealing", promotedAt: new Date() } }, { returnDocument: "after" }))!;
  }
  await keyring.refresh();

  const names = (await raw.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => !n.startsWith("system.") && !(ROTATION_SKIPPED_COLLECTIONS as readonly string[]).includes(n))
    .sort();
  let batches = 0;
  let remaining = 0;

  const interrupted = (): RotationResult => ({ keyId, resumed, complete: false, resealed: state.resealed, skipped: state.skipped, unreadable: state.unreadable, remaining: -1, collections: names });

  for (;;) {
    const phase = state.status as "resealing" | "sweeping";
    for (const [index, name] of names.entries()) {
      if (state.done.includes(name)) continue;
      const coll = raw.collection(name);
      const total = await coll.estimatedDocumentCount();
      let cursor = state.cursors[name];
      let processed = cursor === undefined ? 0 : await coll.countDocuments({ _id: { $lte: cursor } } as mongo.Filter<mongo.Document>);
      for (;;) {
        if (opts.maxBatches !== undefined && batches >= opts.maxBatches) return interrupted();
        const docs = await coll
          .find(cursor === undefined ? {} : ({ _id: { $gt: cursor } } as mongo.Filter<mongo.Document>))
          .sort({ _id: 1 })
          .limit(batchSize)
          .toArray();
        if (docs.length === 0) break;
        const counts = { resealed: 0, skipped: 0, unreadable: 0 };
        for (const doc of docs) await resealDoc(coll, name, doc, keyId, cipher, counts);
        cursor = docs.at(-1)!._id;
        processed += docs.length;
        batches++;
        if (phase === "sweeping") remaining += counts.skipped + counts.unreadable;
        state = (await states.findOneAndUpdate(
          { _id: keyId },
          { $set: { [`cursors.${name}`]: cursor }, $inc: counts },
          { returnDocument: "after" },
        ))!;
        progress({ phase, collection: name, processed: Math.min(processed, Math.max(total, processed)), total: Math.max(total, processed), collectionIndex: index, collections: names.length });
      }
      state = (await states.findOneAndUpdate({ _id: keyId }, { $addToSet: { done: name } }, { returnDocument: "after" }))!;
    }
    if (phase === "sweeping") break;
    // Nodes that had not yet refreshed may have sealed new values with the old key meanwhile.
    const wait = (state.promotedAt?.getTime() ?? 0) + graceMs - Date.now();
    if (wait > 0) {
      progress({ phase: "waiting", collection: null, processed: 0, total: 0, collectionIndex: 0, collections: names.length });
      await sleep(wait);
    }
    state = (await states.findOneAndUpdate({ _id: keyId }, { $set: { status: "sweeping", cursors: {}, done: [] } }, { returnDocument: "after" }))!;
  }
  state = (await states.findOneAndUpdate({ _id: keyId }, { $set: { status: "done", finishedAt: new Date() }, $unset: { open: "" } }, { returnDocument: "after" }))!;
  return { keyId, resumed, complete: true, resealed: state.resealed, skipped: state.skipped, unreadable: state.unreadable, remaining, collections: names };
}

/** Re-seal every sealed top-level field of one document under `keyId` (compare-and-set per field). */
async function resealDoc(
  coll: mongo.Collection,
  name: string,
  doc: mongo.WithId<mongo.Document>,
  keyId: string,
  cipher: FieldCipher,
  counts: { resealed: number; skipped: number; unreadable: number },
): Promise<void> {
  for (const [field, value] of Object.entries(doc)) {
    if (typeof value !== "string" || !value.startsWith(SEALED_PREFIX) || FieldCipher.keyIdOf(value) === keyId) continue;
    const aad = aadFor(name, field, doc._id);
    let next: string;
    try {
      next = cipher.seal(cipher.open(value, aad), aad, keyId);
    } catch {
      counts.unreadable++;
      continue;
    }
    const r = await coll.updateOne({ _id: doc._id, [field]: value }, { $set: { [field]: next } });
    if (r.modifiedCount === 1) counts.resealed++;
    else counts.skipped++;
  }
}
