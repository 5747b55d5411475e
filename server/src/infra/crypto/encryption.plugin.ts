import type { Document, HydratedDocument, Model, Schema } from "mongoose";
import { aadFor, type FieldCipher, SEALED_PREFIX } from "./fieldCipher.js";
import { UnknownDataKeyError } from "./keyring.js";

export interface EncryptionOptions {
  cipher: FieldCipher;
  /** Top-level string paths holding PHI. */
  fields: string[];
}

const OPENED = Symbol("phi-opened");
/** Loaded while a field named a data key this node had not loaded yet; opened after a keyring reload. */
const PENDING = Symbol("phi-pending-key");

/** Query kinds whose results are hydrated documents: a pending document is opened in their post hook. */
const READ_QUERIES = ["find", "findOne", "findOneAndUpdate", "findOneAndReplace", "findOneAndDelete"] as const;

/** What each schema with the plugin seals, for `insertSealed`. */
const sealing = new WeakMap<Schema, EncryptionOptions>();

/**
 * Seals the named string fields on save and opens them when a document is loaded, so
 * the database only ever holds ciphertext. Queries must not filter on or update these
 * fields (they are ciphertext in the database); `updateOne`-style writes that touch them
 * are refused so no plaintext can slip past the plugin.
 */
export function encryptionPlugin(schema: Schema, opts: EncryptionOptions): void {
  const { cipher, fields } = opts;
  sealing.set(schema, opts);

  const openAll = (doc: Document) => {
    const collection = doc.collection.collectionName;
    for (const f of fields) {
      const v: unknown = doc.get(f);
      if (typeof v === "string" && v.startsWith(SEALED_PREFIX)) {
        doc.set(f, cipher.open(v, aadFor(collection, f, doc._id)));
        doc.unmarkModified(f);
      }
    }
    (doc as unknown as Record<symbol, boolean>)[OPENED] = true;
  };

  schema.pre("save", function () {
    const collection = this.collection.collectionName;
    for (const f of fields) {
      const v: unknown = this.get(f);
      if (typeof v === "string" && (this.isNew || this.isModified(f))) {
        this.set(f, cipher.seal(v, aadFor(collection, f, this._id)));
      }
    }
  });

  schema.post("save", function (doc: Document) {
    openAll(doc);
  });

  schema.post("init", function (doc: Document) {
    try {
      openAll(doc);
    } catch (err) {
      // Another node rotated the keys since this one loaded them: reload (async) in the query's post hook.
      if (!(err instanceof UnknownDataKeyError)) throw err;
      (doc as unknown as Record<symbol, boolean>)[PENDING] = true;
    }
  });

  schema.post([...READ_QUERIES], async function (res: unknown) {
    const docs = (Array.isArray(res) ? res : [res]).filter(
      (d): d is Document => d !== null && typeof d === "object" && (d as Record<symbol, boolean>)[PENDING] === true,
    );
    if (docs.length === 0) return;
    await cipher.refreshKeys();
    for (const d of docs) {
      openAll(d); // still unknown after the reload: the query fails, as before
      delete (d as unknown as Record<symbol, boolean>)[PENDING];
    }
  });

  const refuse = function (this: { getUpdate(): unknown }) {
    const update = this.getUpdate() as Record<string, unknown> | null;
    if (!update) return;
    const touched = (obj: unknown) =>
      obj !== null && typeof obj === "object" && fields.some((f) => Object.prototype.hasOwnProperty.call(obj, f));
    if (touched(update) || Object.values(update).some(touched)) {
      throw new Error("encrypted fields can only be written through document.save()");
    }
  };
  schema.pre("updateOne", refuse);
  schema.pre("updateMany", refuse);
  schema.pre("findOneAndUpdate", refuse);
  schema.pre("replaceOne", refuse);
  schema.pre("insertMany", function () {
    throw new Error("insertMany bypasses field encryption; use insertSealed");
  });
}

/**
 * Many new documents in one round trip, sealed as `save` would seal them: each is built
 * and validated by its model, its PHI fields sealed (bound to its own `_id`), and all are
 * written by one unordered `insertMany`. Answers per input, in order, the document (fields
 * readable) or what refused it: a validation error, or a duplicate key (`code` 11000).
 * A failure of the whole write (the database is gone) rejects: nothing is known stored.
 */
export async function insertSealed<T>(model: Model<T>, inputs: ReadonlyArray<Partial<T>>): Promise<Array<HydratedDocument<T> | Error>> {
  const conf = sealing.get(model.schema);
  if (!conf) throw new Error(`${model.modelName} has no encryption plugin`);
  const collection = model.collection.collectionName;
  const results: Array<HydratedDocument<T> | Error | undefined> = new Array(inputs.length);
  const rows: Array<Record<string, unknown>> = [];
  const slots: number[] = [];
  const docs = inputs.map((input) => new model(input) as HydratedDocument<T>);
  const invalid = await Promise.all(docs.map((doc) => doc.validate().then(() => null, (err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
  docs.forEach((doc, i) => {
    if (invalid[i]) {
      results[i] = invalid[i];
      return;
    }
    const row = doc.toObject({ depopulate: true, virtuals: false, getters: false, transform: false }) as Record<string, unknown>;
    for (const f of conf.fields) {
      const v = row[f];
      if (typeof v === "string") row[f] = conf.cipher.seal(v, aadFor(collection, f, row._id));
    }
    rows.push(row);
    slots.push(i);
  });
  if (rows.length > 0) {
    try {
      await model.collection.insertMany(rows, { ordered: false });
    } catch (err) {
      const listed = (err as { writeErrors?: unknown }).writeErrors;
      if (!listed) throw err;
      for (const we of (Array.isArray(listed) ? listed : [listed]) as Array<{ index: number; code?: number; errmsg?: string }>) {
        results[slots[we.index]!] = Object.assign(new Error(we.code === 11000 ? "duplicate key" : "refused by the database"), { code: we.code });
      }
    }
  }
  for (const i of slots) {
    if (results[i] === undefined) {
      docs[i]!.isNew = false;
      results[i] = docs[i]!;
    }
  }
  return results as Array<HydratedDocument<T> | Error>;
}
