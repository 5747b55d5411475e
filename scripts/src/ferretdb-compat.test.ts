/**
 * What the app may rely on from the embedded database (FerretDB v1.24.2/SQLite here, real
 * mongod where one exists), checked through mongoose. Things that must work are asserted;
 * things that are only probed are printed in a summary at the end and written up in
 * docs/ferretdb.md.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mongoose, { Schema, Types, type Connection } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readServicesFile, startServices, writeServicesFile, type Services } from "./services.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const tmpRoots: string[] = [];
function freshDir(label: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `svc-${label}-`));
  tmpRoots.push(d);
  return d;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

async function waitDead(pids: number[], ms = 8_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function childPids(dataDir: string): number[] {
  const f = path.join(dataDir, "services.pids.json");
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as Array<{ pid: number }>).map((e) => e.pid) : [];
}

let services: Services;
let conn: Connection;
const findings: Array<[string, string]> = [];

/** Run an operation whose support is being documented, not required. */
async function probe(name: string, fn: () => Promise<unknown>): Promise<boolean> {
  try {
    const r = await fn();
    findings.push([name, `works${r === undefined ? "" : ` → ${JSON.stringify(r).slice(0, 120)}`}`]);
    return true;
  } catch (e) {
    const err = e as { code?: number; codeName?: string; message?: string };
    findings.push([name, `not supported (documented, not an error): ${err.code ?? ""} ${err.codeName ?? ""} ${String(err.message).split("\n")[0]!.slice(0, 160)}`]);
    return false;
  }
}

beforeAll(async () => {
  // MONGODB_URI / REDIS_URL (external services) are honoured, so the same checks run on real MongoDB.
  services = await startServices({
    dataDir: freshDir("compat"),
    mongoUri: process.env.MONGODB_URI,
    redisUrl: process.env.REDIS_URL,
    log: (l) => console.log(`[services] ${l}`),
  });
  conn = await mongoose.createConnection(services.mongoUri, { autoIndex: false, dbName: "compat" }).asPromise();
}, 10 * 60_000);

afterAll(async () => {
  await conn?.close();
  await services?.stop();
  console.log(
    `\n=== ${services?.mongoKind} compatibility probes (informational; the asserted checks are the tests above) ===\n` + findings.map(([n, r]) => `- ${n}: ${r}`).join("\n"),
  );
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
}, 30_000);

describe("database compatibility (through mongoose)", () => {
  it("unique index → duplicate key error 11000", async () => {
    const User = conn.model("User", new Schema({ email: { type: String, required: true, unique: true }, name: String }));
    await User.createIndexes();
    await User.create({ email: "a@x.test", name: "A" });
    const err = await User.create({ email: "a@x.test", name: "B" }).catch((e: unknown) => e as { code?: number; keyValue?: unknown; keyPattern?: unknown });
    expect(err).toMatchObject({ code: 11000 });
    await probe("duplicate key error carries keyValue/keyPattern", async () => {
      if (!err || typeof err !== "object" || !("keyValue" in err) || !err.keyValue) throw new Error("no keyValue on the error");
      return { keyValue: err.keyValue, keyPattern: err.keyPattern };
    });
    expect(await User.countDocuments()).toBe(1);
  });

  it("compound and compound-unique indexes", async () => {
    const s = new Schema({ conversationId: Types.ObjectId, seq: Number, createdAt: Date, body: String });
    s.index({ conversationId: 1, seq: 1 }, { unique: true });
    s.index({ conversationId: 1, createdAt: -1 });
    const Msg = conn.model("Msg", s);
    await Msg.createIndexes();
    const c = new Types.ObjectId();
    await Msg.create({ conversationId: c, seq: 1, createdAt: new Date(), body: "x" });
    await Msg.create({ conversationId: new Types.ObjectId(), seq: 1, createdAt: new Date(), body: "y" });
    await expect(Msg.create({ conversationId: c, seq: 1, body: "dup" })).rejects.toMatchObject({ code: 11000 });
    const idx = await Msg.listIndexes();
    expect(idx.map((i) => i.name)).toEqual(expect.arrayContaining(["conversationId_1_seq_1", "conversationId_1_createdAt_-1"]));
  });

  it("sparse / partial unique indexes (probe)", async () => {
    const Sparse = conn.model("Sparse", new Schema({ k: String, ext: { type: String, unique: true, sparse: true } }));
    const sparseOk = await probe("unique+sparse index creation", () => Sparse.createIndexes().then(() => undefined));
    if (sparseOk) {
      await probe("unique+sparse: two docs without the field", async () => {
        await Sparse.create({ k: "1" });
        await Sparse.create({ k: "2" });
      });
      await probe("unique+sparse: duplicate value rejected", async () => {
        await Sparse.create({ k: "3", ext: "E" });
        const e = await Sparse.create({ k: "4", ext: "E" }).then(() => null, (x: { code?: number }) => x);
        if (e?.code !== 11000) throw new Error("duplicate accepted");
      });
    }
    const ps = new Schema({ k: String, ext: String });
    ps.index({ ext: 1 }, { unique: true, partialFilterExpression: { ext: { $type: "string" } } });
    const Partial = conn.model("Partial", ps);
    const partialOk = await probe("unique+partialFilterExpression index creation", () => Partial.createIndexes().then(() => undefined));
    if (partialOk) {
      await probe("unique+partial: two docs without the field", async () => {
        await Partial.create({ k: "1" });
        await Partial.create({ k: "2" });
      });
    }
    // the portable fallback: a unique index on a field that is always set (e.g. to a per-doc default)
    const Fallback = conn.model("Fallback", new Schema({ ext: { type: String, unique: true, default: () => `none:${new Types.ObjectId().toHexString()}` } }));
    await Fallback.createIndexes();
    await Fallback.create({});
    await Fallback.create({});
    await Fallback.create({ ext: "E" });
    await expect(Fallback.create({ ext: "E" })).rejects.toMatchObject({ code: 11000 });
  });

  it("findOneAndUpdate upsert with $setOnInsert and $inc", async () => {
    const Counter = conn.model("Counter", new Schema({ key: { type: String, unique: true }, n: Number, createdBy: String }));
    await Counter.createIndexes();
    const upd = { $setOnInsert: { createdBy: "first" }, $inc: { n: 1 } };
    const a = await Counter.findOneAndUpdate({ key: "k" }, upd, { upsert: true, returnDocument: "after" }).lean();
    expect(a).toMatchObject({ key: "k", n: 1, createdBy: "first" });
    const b = await Counter.findOneAndUpdate({ key: "k" }, { ...upd, $setOnInsert: { createdBy: "second" } }, { upsert: true, returnDocument: "after" }).lean();
    expect(b).toMatchObject({ key: "k", n: 2, createdBy: "first" });
    const before = await Counter.findOneAndUpdate({ key: "k" }, { $inc: { n: 5 } }, { returnDocument: "before" }).lean();
    expect(before?.n).toBe(2);
    // concurrent upserts on a unique key: one document, every increment counted
    await Promise.all(Array.from({ length: 20 }, () => Counter.findOneAndUpdate({ key: "race" }, { $inc: { n: 1 } }, { upsert: true }).catch((e: { code?: number }) => {
      if (e.code === 11000) return Counter.findOneAndUpdate({ key: "race" }, { $inc: { n: 1 } });
      throw e;
    })));
    const race = await Counter.find({ key: "race" }).lean();
    expect(race).toHaveLength(1);
    expect(race[0]!.n).toBe(20);
  });

  it("single-document updates are atomic under concurrency", async () => {
    const Seq = conn.model("Seq", new Schema({ _id: String, n: Number, v: Number, arr: [Number] }));
    await Seq.create({ _id: "s", n: 0, v: 0, arr: [] });
    await Promise.all(Array.from({ length: 40 }, () => Seq.updateOne({ _id: "s" }, { $inc: { n: 1 } })));
    await Promise.all(Array.from({ length: 40 }, (_, i) => Seq.updateOne({ _id: "s" }, { $push: { arr: i } })));
    const doc = await Seq.findById("s").lean();
    expect(doc?.n).toBe(40);
    expect(doc?.arr).toHaveLength(40);
    // sequence allocation through findOneAndUpdate hands out distinct numbers
    const got = await Promise.all(Array.from({ length: 40 }, () => Seq.findOneAndUpdate({ _id: "s" }, { $inc: { n: 1 } }, { returnDocument: "after" }).lean()));
    expect(new Set(got.map((d) => d?.n)).size).toBe(40);
    // compare-and-set: exactly one winner
    const res = await Promise.all(Array.from({ length: 20 }, () => Seq.updateOne({ _id: "s", v: 0 }, { $set: { v: 1 } })));
    expect(res.filter((r) => r.modifiedCount === 1)).toHaveLength(1);
  });

  it("updateOne with $push / $addToSet (and probes of $pull, $push $each/$slice)", async () => {
    const Team = conn.model("Team", new Schema({ name: String, members: [Types.ObjectId], tags: [String], log: [{ at: Date, what: String }] }));
    const t = await Team.create({ name: "t", members: [], tags: [] });
    const m = new Types.ObjectId();
    await Team.updateOne({ _id: t._id }, { $addToSet: { members: m } });
    const r = await Team.updateOne({ _id: t._id }, { $addToSet: { members: m } });
    expect(r.modifiedCount).toBe(0);
    await Team.updateOne({ _id: t._id }, { $push: { tags: "a", log: { at: new Date(), what: "x" } } });
    await Team.updateOne({ _id: t._id }, { $addToSet: { tags: { $each: ["a", "b"] } } });
    const got = await Team.findById(t._id).lean();
    expect(got?.members.map(String)).toEqual([String(m)]);
    expect(got?.tags).toEqual(["a", "b"]);
    expect(got?.log).toHaveLength(1);
    await probe("$pull", () => Team.updateOne({ _id: t._id }, { $pull: { tags: "a" } }).then((x) => ({ modified: x.modifiedCount })));
    await probe("$push with $each + $slice", () => Team.updateOne({ _id: t._id }, { $push: { tags: { $each: ["c", "d"], $slice: -2 } } }).then(async () => (await Team.findById(t._id).lean())?.tags));
    await probe("updateOne with arrayFilters", () => Team.updateOne({ _id: t._id }, { $set: { "log.$[e].what": "y" } }, { arrayFilters: [{ "e.what": "x" }] }).then((x) => ({ modified: x.modifiedCount })));
    await probe("positional $ update", () => Team.updateOne({ _id: t._id, "log.what": { $exists: true } }, { $set: { "log.$.what": "z" } }).then((x) => ({ modified: x.modifiedCount })));
  });

  it("insertMany ordered:false keeps going past duplicates; countDocuments", async () => {
    const Item = conn.model("Item", new Schema({ sku: { type: String, unique: true }, group: String }));
    await Item.createIndexes();
    const docs = [{ sku: "1", group: "g" }, { sku: "2", group: "g" }, { sku: "1", group: "g" }, { sku: "3", group: "h" }];
    const err = await Item.insertMany(docs, { ordered: false }).catch((e: { code?: number; insertedDocs?: unknown[] }) => e);
    expect(err).toMatchObject({ code: 11000 });
    expect(await Item.countDocuments()).toBe(3);
    expect(await Item.countDocuments({ group: "g" })).toBe(2);
    const ok = await Item.insertMany([{ sku: "4" }, { sku: "5" }], { ordered: false });
    expect(ok).toHaveLength(2);
    await probe("estimatedDocumentCount", () => Item.estimatedDocumentCount());
    await probe("distinct", () => Item.distinct("group"));
  });

  it("equality on indexed fields and on _id gives MongoDB's answers (our build pushes these down to SQLite indexes)", async () => {
    const R = conn.model(
      "PushR",
      new Schema({ patientId: Schema.Types.ObjectId, kind: String, v: Number, version: Number, team: [Schema.Types.ObjectId], label: String }),
    );
    R.schema.index({ patientId: 1, kind: 1 });
    R.schema.index({ team: 1 }, { name: "team_multikey" });
    R.schema.index({ label: 1 });
    await R.createIndexes();
    const pids = Array.from({ length: 10 }, () => new Types.ObjectId());
    const docs = Array.from({ length: 300 }, (_, i) => ({
      patientId: pids[i % 10]!, kind: i % 3 ? "weight" : "dose", v: i, version: 0, team: [pids[i % 10]!, pids[(i + 1) % 10]!], label: i % 2 ? `L${i % 5}` : String(pids[i % 10]!),
    }));
    await R.insertMany(docs);
    const expected = (f: (d: (typeof docs)[number]) => boolean) => docs.filter(f).length;
    const p3 = pids[3]!;
    expect(await R.countDocuments({ patientId: p3 })).toBe(expected((d) => d.patientId.equals(p3)));
    expect(await R.countDocuments({ patientId: p3, kind: "dose" })).toBe(expected((d) => d.patientId.equals(p3) && d.kind === "dose"));
    // A field that is in an index but not first (filtered in SQLite, not by the index).
    expect(await R.countDocuments({ kind: "dose" })).toBe(expected((d) => d.kind === "dose"));
    expect(await R.countDocuments({ kind: { $in: ["dose", "nope"] }, v: { $lt: 30 } })).toBe(expected((d) => d.kind === "dose" && d.v < 30));
    expect(await R.countDocuments({ patientId: { $in: [p3, pids[4]!] } })).toBe(expected((d) => d.patientId.equals(p3) || d.patientId.equals(pids[4]!)));
    expect(await R.countDocuments({ patientId: { $eq: p3 }, v: { $gt: 150 } })).toBe(expected((d) => d.patientId.equals(p3) && d.v > 150));
    // An array field matches by element (its index is named "multikey", so it is not pushed down).
    expect(await R.countDocuments({ team: p3 })).toBe(expected((d) => d.team.some((t) => t.equals(p3))));
    // A string never equals an ObjectId with the same hex, and vice versa (raw driver: mongoose would cast).
    expect(await R.collection.countDocuments({ patientId: String(p3) })).toBe(0);
    expect(await R.collection.countDocuments({ label: String(p3) })).toBe(expected((d) => d.label === String(p3)));
    expect(await R.collection.countDocuments({ label: p3 as never })).toBe(0);
    // A list with mixed types, and a field with no index, still answer right.
    expect(await R.collection.countDocuments({ patientId: { $in: [p3, 5] } })).toBe(expected((d) => d.patientId.equals(p3)));
    expect(await R.countDocuments({ v: { $in: [1, 2, 3] } })).toBe(3);
    // `_id` with other conditions (compare-and-set), `_id: {$in}`.
    const one = await R.findOne({ v: 7 }).lean();
    expect((await R.updateOne({ _id: one!._id, version: 0 }, { $set: { version: 1 } })).modifiedCount).toBe(1);
    expect((await R.updateOne({ _id: one!._id, version: 0 }, { $set: { version: 2 } })).modifiedCount).toBe(0);
    expect(await R.countDocuments({ _id: { $in: [one!._id, new Types.ObjectId()] } })).toBe(1);
    expect(await R.countDocuments({ _id: String(one!._id) })).toBe(1); // mongoose casts to ObjectId
    expect((await R.collection.countDocuments({ _id: String(one!._id) as never }))).toBe(0); // the raw driver does not
    expect((await R.deleteMany({ _id: { $in: [one!._id] }, version: 1 })).deletedCount).toBe(1);
    expect(await R.countDocuments({})).toBe(299);
  });

  it("every index the app declares on an array field is named \"multikey\" (the embedded database relies on it)", async () => {
    const { openDatabase } = await import("../../server/src/app.js");
    const uri = new URL(services.mongoUri);
    uri.pathname = "/compat_app";
    const db = await openDatabase({ mongoUri: uri.toString(), masterKey: Buffer.alloc(32, 7) });
    try {
      const offenders: string[] = [];
      for (const model of Object.values(db.models)) {
        const schema = model.schema as unknown as Schema;
        for (const [keys, opts] of schema.indexes()) {
          const first = Object.keys(keys)[0]!;
          const isArray = (schema.path(first) as { instance?: string } | undefined)?.instance === "Array";
          if (isArray && !String((opts as { name?: string }).name ?? "").includes("multikey")) offenders.push(`${model.modelName}.${first}`);
        }
      }
      expect(offenders).toEqual([]);
      // And the care-team index, the one array index today, really is one.
      expect(db.models.careTeams.schema.indexes().some(([k, o]) => "physicianIds" in k && String((o as { name?: string }).name).includes("multikey"))).toBe(true);
    } finally {
      await db.conn.close();
    }
  });

  it("find with sort / limit / _id range (cursor pagination)", async () => {
    const Ev = conn.model("Ev", new Schema({ conv: String, at: Date, n: Number }));
    const base = Date.UTC(2025, 0, 1);
    const inserted = await Ev.insertMany(Array.from({ length: 30 }, (_, i) => ({ conv: i % 2 ? "odd" : "even", at: new Date(base + i * 1000), n: i })));
    const ids = inserted.map((d) => d._id);
    const page1 = await Ev.find({ conv: "even" }).sort({ _id: -1 }).limit(5).lean();
    expect(page1.map((d) => d.n)).toEqual([28, 26, 24, 22, 20]);
    const page2 = await Ev.find({ conv: "even", _id: { $lt: page1.at(-1)!._id } }).sort({ _id: -1 }).limit(5).lean();
    expect(page2.map((d) => d.n)).toEqual([18, 16, 14, 12, 10]);
    const range = await Ev.find({ _id: { $gt: ids[3], $lte: ids[6] } }).sort({ _id: 1 }).lean();
    expect(range.map((d) => d.n)).toEqual([4, 5, 6]);
    const byDate = await Ev.find({ at: { $gte: new Date(base + 25_000) } }).sort({ at: -1, _id: -1 }).limit(2).lean();
    expect(byDate.map((d) => d.n)).toEqual([29, 28]);
    const inList = await Ev.find({ n: { $in: [1, 2, 3] } }).select({ n: 1, _id: 0 }).sort({ n: 1 }).lean();
    expect(inList).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect((await Ev.find().sort({ n: 1 }).skip(28).lean()).map((d) => d.n)).toEqual([28, 29]);
    await probe("$regex find (anchored, case-insensitive)", () => Ev.countDocuments({ conv: { $regex: "^OD", $options: "i" } }));
    await probe("$or + $exists + $ne", () => Ev.countDocuments({ $or: [{ n: { $lt: 2 } }, { missing: { $exists: true } }], conv: { $ne: "odd" } }));
    await probe("$elemMatch", async () => {
      const A = conn.model("ElemA", new Schema({ xs: [{ k: String, v: Number }] }));
      await A.create({ xs: [{ k: "a", v: 1 }, { k: "b", v: 2 }] });
      return A.countDocuments({ xs: { $elemMatch: { k: "b", v: { $gte: 2 } } } });
    });
    await probe("sort on a field with mixed missing values", () => Ev.find().sort({ missing: 1, n: 1 }).limit(1).lean().then((d) => d[0]?.n));
    await probe("collation (case-insensitive find)", () => Ev.find({ conv: "ODD" }).collation({ locale: "en", strength: 2 }).countDocuments());
  });

  it("aggregate: $match / $group / $sort / $project / $limit (and probes)", async () => {
    const Sale = conn.model("Sale", new Schema({ who: String, amount: Number, at: Date, ref: Types.ObjectId }));
    const base = Date.UTC(2025, 0, 1);
    await Sale.insertMany([
      { who: "a", amount: 5, at: new Date(base) },
      { who: "a", amount: 7, at: new Date(base + 86_400_000) },
      { who: "b", amount: 1, at: new Date(base) },
      { who: "c", amount: 100, at: new Date(base) },
    ]);
    // The portable subset: $match, $group with ONE accumulator ($sum / $count), $sort,
    // $project by inclusion/exclusion, $limit / $skip.
    const rows = await Sale.aggregate<{ _id: string; total: number }>([
      { $match: { amount: { $lt: 50 } } },
      { $group: { _id: "$who", total: { $sum: "$amount" } } },
      { $sort: { total: -1 } },
      { $project: { total: 1 } },
      { $limit: 5 },
    ]);
    expect(rows).toEqual([{ _id: "a", total: 12 }, { _id: "b", total: 1 }]);
    const counts = await Sale.aggregate([{ $group: { _id: "$who", n: { $sum: 1 } } }, { $sort: { n: -1, _id: 1 } }, { $limit: 2 }]);
    expect(counts).toEqual([{ _id: "a", n: 2 }, { _id: "b", n: 1 }]);
    expect(await Sale.aggregate([{ $match: { who: "a" } }, { $project: { _id: 0, amount: 1 } }, { $sort: { amount: 1 } }, { $skip: 1 }])).toEqual([{ amount: 7 }]);
    const expectEq = (got: unknown, want: unknown) => {
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`WRONG RESULT (silently): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      return got;
    };
    await probe("aggregate $group with two accumulators", async () => expectEq(
      await Sale.aggregate([{ $group: { _id: null, n: { $sum: 1 }, t: { $sum: "$amount" } } }]), [{ _id: null, n: 4, t: 113 }]));
    await probe("aggregate $project with a field path (\"$who\")", async () => expectEq(
      await Sale.aggregate([{ $match: { who: "b" } }, { $project: { _id: 0, w: "$who" } }]), [{ w: "b" }]));
    await probe("aggregate $addFields with a field path", async () => expectEq(
      await Sale.aggregate([{ $match: { who: "b" } }, { $addFields: { w: "$who" } }, { $project: { _id: 0, w: 1 } }]), [{ w: "b" }]));
    await probe("aggregate $group $max", () => Sale.aggregate([{ $group: { _id: "$who", last: { $max: "$at" } } }]));
    await probe("aggregate $group $first", () => Sale.aggregate([{ $group: { _id: "$who", first: { $first: "$amount" } } }]));
    await probe("aggregate $group $push", () => Sale.aggregate([{ $group: { _id: "$who", all: { $push: "$amount" } } }]));
    await probe("aggregate $group $count accumulator", () => Sale.aggregate([{ $group: { _id: "$who", n: { $count: {} } } }, { $sort: { _id: 1 } }]));
    await probe("aggregate $group by compound key", () => Sale.aggregate([{ $group: { _id: { w: "$who", a: "$amount" }, n: { $sum: 1 } } }, { $limit: 1 }]));
    await probe("aggregate $count", () => Sale.aggregate([{ $match: { who: "a" } }, { $count: "n" }]));
    await probe("aggregate $unwind", () => Sale.aggregate([{ $project: { xs: ["$who", "$who"] } }, { $unwind: "$xs" }, { $count: "n" }]));
    await probe("aggregate $addFields / $set", () => Sale.aggregate([{ $addFields: { double: { $multiply: ["$amount", 2] } } }, { $limit: 1 }, { $project: { _id: 0, double: 1 } }]));
    await probe("aggregate $group by $dateToString", () => Sale.aggregate([{ $group: { _id: { $dateToString: { format: "%Y-%m-%d", date: "$at" } }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]));
    await probe("aggregate $sum with $cond", () => Sale.aggregate([{ $group: { _id: null, big: { $sum: { $cond: [{ $gte: ["$amount", 50] }, 1, 0] } } } }]));
    await probe("aggregate $group $avg/$min/$first/$push", () => Sale.aggregate([{ $sort: { amount: 1 } }, { $group: { _id: "$who", avg: { $avg: "$amount" }, min: { $min: "$amount" }, first: { $first: "$amount" }, all: { $push: "$amount" } } }, { $sort: { _id: 1 } }]));
    await probe("aggregate $skip", () => Sale.aggregate([{ $sort: { amount: 1 } }, { $skip: 3 }, { $project: { _id: 0, amount: 1 } }]));
    await probe("aggregate $bucket", () => Sale.aggregate([{ $bucket: { groupBy: "$amount", boundaries: [0, 10, 1000], default: "other" } }]));
    await probe("aggregate $facet", () => Sale.aggregate([{ $facet: { n: [{ $count: "n" }], top: [{ $sort: { amount: -1 } }, { $limit: 1 }] } }]));
    await probe("aggregate $lookup", () => Sale.aggregate([{ $lookup: { from: "users", localField: "who", foreignField: "name", as: "u" } }]));
    await probe("aggregate $sortByCount", () => Sale.aggregate([{ $sortByCount: "$who" }]));
    await probe("aggregate $replaceRoot", () => Sale.aggregate([{ $replaceRoot: { newRoot: { w: "$who" } } }, { $limit: 1 }]));
  });

  it("Buffer / Binary and Date round trip", async () => {
    const Blob = conn.model("Blob", new Schema({ data: Buffer, iv: Buffer, at: Date, dates: [Date] }));
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const at = new Date("2025-06-30T23:59:59.123Z");
    const doc = await Blob.create({ data: bytes, iv: Buffer.alloc(12, 7), at, dates: [at, new Date(0)] });
    const got = await Blob.findById(doc._id);
    expect(Buffer.from(got!.data!).equals(bytes)).toBe(true);
    expect(Buffer.from(got!.iv!).equals(Buffer.alloc(12, 7))).toBe(true);
    expect(got!.at!.toISOString()).toBe(at.toISOString());
    expect(got!.dates.map((d) => new Date(d as unknown as Date).getTime())).toEqual([at.getTime(), 0]);
    const lean = await Blob.findById(doc._id).lean();
    expect(Buffer.from((lean!.data as unknown as { buffer: Uint8Array }).buffer).equals(bytes)).toBe(true);
    expect(await Blob.countDocuments({ at: { $gte: new Date("2025-06-30T23:59:59.123Z") } })).toBe(1);
    await probe("query by Buffer equality", () => Blob.countDocuments({ iv: Buffer.alloc(12, 7) }));
    await probe("UUID (Binary subtype 4) round trip", async () => {
      const U = conn.model("Uuid", new Schema({ u: Schema.Types.UUID }));
      const id = "0b9e2d1c-8f1a-4c6e-9a51-2f1b7c3d4e5f";
      const d = await U.create({ u: id });
      const back = await U.findById(d._id);
      if (String(back?.u) !== id) throw new Error(`got ${String(back?.u)}`);
    });
  });

  it("bulkWrite: insertOne / updateOne(upsert) / updateMany / replaceOne / deleteOne", async () => {
    const Kv = conn.model("Kv", new Schema({ k: { type: String, unique: true }, v: Number }));
    await Kv.createIndexes();
    await Kv.create({ k: "gone", v: 0 });
    const r = await Kv.bulkWrite([
      { insertOne: { document: { k: "a", v: 1 } } },
      { updateOne: { filter: { k: "b" }, update: { $set: { v: 2 } }, upsert: true } },
      { updateMany: { filter: { v: { $gte: 1 } }, update: { $inc: { v: 10 } } } },
      { replaceOne: { filter: { k: "a" }, replacement: { k: "a", v: 100 } } },
      { deleteOne: { filter: { k: "gone" } } },
    ]);
    expect(r.insertedCount).toBe(1);
    expect(r.upsertedCount).toBe(1);
    expect(r.deletedCount).toBe(1);
    const all = await Kv.find().sort({ k: 1 }).select({ _id: 0, k: 1, v: 1 }).lean();
    expect(all).toEqual([{ k: "a", v: 100 }, { k: "b", v: 12 }]);
    const e = await Kv.bulkWrite([{ insertOne: { document: { k: "a", v: 1 } } }, { insertOne: { document: { k: "c", v: 3 } } }], { ordered: false }).catch((x: { code?: number }) => x);
    expect(e).toMatchObject({ code: 11000 });
    expect(await Kv.countDocuments({ k: "c" })).toBe(1);
  });

  it("things the app must not use (probes only)", async () => {
    const Tx = conn.model("Tx", new Schema({ n: Number }));
    await Tx.create({ n: 0 });
    await probe("multi-document transaction (withTransaction)", async () => {
      const session = await conn.startSession();
      try {
        await session.withTransaction(async () => {
          await Tx.create([{ n: 1 }], { session });
        });
      } finally {
        await session.endSession();
      }
    });
    await probe("change stream (watch)", async () => {
      const cs = Tx.watch();
      try {
        await Promise.race([
          new Promise((_, rej) => cs.once("error", rej)),
          new Promise((res) => setTimeout(res, 1_000)),
        ]);
      } finally {
        await cs.close().catch(() => undefined);
      }
    });
    await probe("TTL index (expireAfterSeconds) creation", async () => {
      const s = new Schema({ at: Date });
      s.index({ at: 1 }, { expireAfterSeconds: 60 });
      await conn.model("Ttl", s).createIndexes();
    });
    await probe("text index creation", async () => {
      const s = new Schema({ body: String });
      s.index({ body: "text" });
      await conn.model("Txt", s).createIndexes();
    });
    await probe("syncIndexes", () => conn.model("Kv").syncIndexes());
    await probe("field name with a dot", () => conn.collection("raw").insertOne({ "a.b": 1 }).then(() => undefined));
    await probe("field name starting with $", () => conn.collection("raw").insertOne({ $x: 1 }).then(() => undefined));
    await probe("document > 16 MiB rejected", async () => {
      const big = "x".repeat(17 * 1024 * 1024);
      const e = await conn.collection("raw").insertOne({ big }).then(() => null, (x: Error) => x);
      if (!e) throw new Error("accepted a 17 MiB document");
      return e.message.slice(0, 80);
    });
  });
});

// These start the embedded services themselves; skipped when the run is told to use external ones.
describe.skipIf(Boolean(process.env.MONGODB_URI || process.env.REDIS_URL))("services launcher", () => {
  it("stop() ends the child processes and is idempotent; readServicesFile tracks liveness", async () => {
    const dir = freshDir("stop");
    const s = await startServices({ dataDir: dir });
    const pids = childPids(dir);
    expect(pids.length).toBe((s.mongoKind === "external" ? 0 : 1) + (s.redisKind === "external" ? 0 : 1));
    expect(pids.every(alive)).toBe(true);
    writeServicesFile(dir, s);
    expect((fs.statSync(path.join(dir, "services.json")).mode & 0o777).toString(8)).toBe("600");
    expect(readServicesFile(dir)).toEqual({ mongoUri: s.mongoUri, redisUrl: s.redisUrl });
    await Promise.all([s.stop(), s.stop()]);
    await s.stop();
    expect(await waitDead(pids, 1_000)).toBe(true);
    expect(fs.existsSync(path.join(dir, "services.json"))).toBe(false);
    expect(readServicesFile(dir)).toBeNull();
  }, 120_000);

  it("readServicesFile returns null for a file naming dead services", async () => {
    const dir = freshDir("deadfile");
    const dead = spawnSync("true").pid!; // a pid that has certainly exited
    fs.writeFileSync(path.join(dir, "services.json"), JSON.stringify({ mongoUri: "mongodb://127.0.0.1:1/x", redisUrl: "redis://127.0.0.1:1", ownerPid: dead, pids: [dead] }));
    expect(readServicesFile(dir)).toBeNull();
    // owner alive (us) but ports closed: still null
    fs.writeFileSync(path.join(dir, "services.json"), JSON.stringify({ mongoUri: "mongodb://127.0.0.1:1/x", redisUrl: "redis://127.0.0.1:1", ownerPid: process.pid, pids: [] }));
    expect(readServicesFile(dir)).toBeNull();
    expect(readServicesFile(freshDir("nofile"))).toBeNull();
  });

  it("a stale pid file from a dead run does not block a new start, and its live leftovers are killed", async () => {
    const dir = freshDir("stale");
    const dead = spawnSync("true").pid!;
    // a leftover redis-server from a run whose owner died (and whose watchdog died too)
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const leftover = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(leftover.pid!)).toBe(true);
    fs.writeFileSync(path.join(dir, "services.pids.json"), JSON.stringify([
      { pid: leftover.pid, name: "redis-server", ownerPid: dead },
      { pid: dead, name: "ferretdb", ownerPid: dead },
    ]));
    const s = await startServices({ dataDir: dir });
    try {
      expect(alive(leftover.pid!)).toBe(false);
      expect(childPids(dir)).not.toContain(leftover.pid);
    } finally {
      await s.stop();
    }
  }, 120_000);

  it("children die when the parent is SIGKILLed (watchdog)", async () => {
    const dir = freshDir("sigkill");
    const script = `
      import { startServices } from ${JSON.stringify(path.resolve(HERE, "services.ts"))};
      await startServices({ dataDir: ${JSON.stringify(dir)} });
      console.log("READY");
      setInterval(() => {}, 1000);`;
    const file = path.join(dir, "parent.mts");
    fs.writeFileSync(file, script);
    const tsxCli = path.resolve(HERE, "../../node_modules/tsx/dist/cli.mjs");
    const parent = spawn(process.execPath, [tsxCli, file], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("parent did not get ready")), 60_000);
      parent.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("READY")) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const pids = childPids(dir);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(alive)).toBe(true);
    // kill the whole tsx process tree hard: the node that owns the children, then the cli
    const owner = (JSON.parse(fs.readFileSync(path.join(dir, "services.pids.json"), "utf8")) as Array<{ ownerPid: number }>)[0]!.ownerPid;
    process.kill(owner, "SIGKILL");
    parent.kill("SIGKILL");
    expect(await waitDead(pids, 8_000)).toBe(true);
  }, 120_000);
});
