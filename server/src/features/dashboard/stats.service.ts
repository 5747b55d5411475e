import type { Reading } from "@glp1/shared";
import { Types } from "mongoose";
import { createBatcher } from "../../infra/batch.js";
import type { ReadingModel } from "../metrics/metrics.model.js";
import { aadFor, type FieldCipher } from "../../infra/crypto/fieldCipher.js";
import type { PatientStatsModel, PatientStatsRecord } from "./stats.model.js";

/** What the summary holds: weights as [observedAt ms, kg] and dose times (ms), both oldest first. */
export interface PatientStats {
  weights: [number, number][];
  doses: number[];
}

/** Enough for ~10 years of weekly weights plus daily logging for a while; older points are thinned. */
const MAX_POINTS = 2000;
const EMPTY: PatientStats = { weights: [], doses: [] };

const aad = (patientId: string) => aadFor("patientstats", "data", patientId);

function mergeSorted<T>(into: T[], add: T[], key: (x: T) => string, time: (x: T) => number): T[] {
  const seen = new Set(into.map(key));
  const out = [...into];
  for (const x of add) {
    if (seen.has(key(x))) continue;
    seen.add(key(x));
    out.push(x);
  }
  out.sort((a, b) => time(a) - time(b));
  // Thin the oldest half (every other point) rather than drop history.
  while (out.length > MAX_POINTS) {
    const half = Math.floor(out.length / 2);
    const thinned = out.slice(0, half).filter((_, i) => i % 2 === 0);
    out.splice(0, half, ...thinned);
  }
  return out;
}

/**
 * Keeps the per-patient summaries. A missing summary is built from the readings (one
 * `find` for all missing patients; values opened in memory); new readings are merged in
 * as they are reported (merging is idempotent, so a reading seen twice counts once).
 */
export function createPatientStatsService(deps: { stats: PatientStatsModel; readings: ReadingModel; cipher: FieldCipher }) {
  const { stats, readings, cipher } = deps;

  const seal = (patientId: string, s: PatientStats) => cipher.seal(JSON.stringify(s), aad(patientId));
  const open = (patientId: string, sealed: string) => JSON.parse(cipher.open(sealed, aad(patientId))) as PatientStats;

  /** Build summaries from the stored readings for these patients and store them (first writer wins). */
  async function build(patientIds: string[]): Promise<Map<string, PatientStats>> {
    const out = new Map<string, PatientStats>(patientIds.map((id) => [id, { weights: [], doses: [] }]));
    if (patientIds.length === 0) return out;
    // A long `$in` is evaluated per document by FerretDB (a full scan either way), so for
    // many patients one pass over the two kinds, filtered here, is much faster.
    const filter: Record<string, unknown> = { kind: { $in: ["weight", "dose"] } };
    if (patientIds.length <= 50) filter.patientId = { $in: patientIds.map((id) => new Types.ObjectId(id)) };
    const cursor = readings.collection.find(filter, { projection: { patientId: 1, kind: 1, value: 1, observedAt: 1 } });
    for await (const r of cursor) {
      const s = out.get(String(r.patientId));
      if (!s) continue;
      const t = (r.observedAt as Date).getTime();
      if (r.kind === "dose") s.doses.push(t);
      else s.weights.push([t, JSON.parse(cipher.open(r.value as string, aadFor("readings", "value", r._id))) as number]);
    }
    const ops = [...out].map(([id, s]) => {
      s.weights.sort((a, b) => a[0] - b[0]);
      s.doses.sort((a, b) => a - b);
      return {
        updateOne: {
          filter: { _id: new Types.ObjectId(id) },
          update: { $setOnInsert: { _id: new Types.ObjectId(id), data: seal(id, s), version: 1, updatedAt: new Date() } },
          upsert: true,
        },
      };
    });
    for (let i = 0; i < ops.length; i += 500) await stats.collection.bulkWrite(ops.slice(i, i + 500), { ordered: false });
    return out;
  }

  /** Summaries for these patients, building the missing ones. */
  async function load(patientIds: string[]): Promise<Map<string, PatientStats>> {
    const out = new Map<string, PatientStats>();
    if (patientIds.length === 0) return out;
    const docs = await stats.collection.find({ _id: { $in: patientIds.map((id) => new Types.ObjectId(id)) } }).toArray();
    for (const d of docs) out.set(String(d._id), open(String(d._id), d.data));
    const missing = patientIds.filter((id) => !out.has(id));
    if (missing.length > 0) for (const [id, s] of await build(missing)) out.set(id, s);
    return out;
  }

  /**
   * Merge newly reported readings into a patient's summary. One merge per patient at a
   * time on this node (a burst of readings would otherwise keep failing each other's
   * compare-and-set); across nodes the compare-and-set on `version` decides, retried with
   * a growing, jittered pause.
   */
  const queues = new Map<string, Promise<void>>();
  /** First reads of concurrent merges (readings from many patients at once) share one `$in`; retries read alone. */
  const readStats = createBatcher<string, PatientStatsRecord | null>(async (ids) => {
    const docs = await stats.collection.find<PatientStatsRecord>({ _id: { $in: [...new Set(ids)].map((id) => new Types.ObjectId(id)) } }).toArray();
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  function apply(patientId: string, fresh: Pick<Reading, "kind" | "value" | "observedAt">[]): Promise<void> {
    const prev = queues.get(patientId) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => applyNow(patientId, fresh));
    queues.set(patientId, run);
    void run.then(
      () => queues.get(patientId) === run && queues.delete(patientId),
      () => queues.get(patientId) === run && queues.delete(patientId),
    );
    return run;
  }

  async function applyNow(patientId: string, fresh: Pick<Reading, "kind" | "value" | "observedAt">[]): Promise<void> {
    const weights = fresh.filter((r) => r.kind === "weight").map((r) => [Date.parse(r.observedAt), r.value as number] as [number, number]);
    const doses = fresh.filter((r) => r.kind === "dose").map((r) => Date.parse(r.observedAt));
    if (weights.length === 0 && doses.length === 0) return;
    const _id = new Types.ObjectId(patientId);
    for (let attempt = 0; attempt < 12; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
      const doc = attempt === 0 ? await readStats(patientId) : await stats.collection.findOne({ _id });
      if (!doc) {
        // Built from the readings, which already include these; merging again below is harmless.
        await build([patientId]);
        continue;
      }
      const cur = open(patientId, doc.data);
      const next: PatientStats = {
        weights: mergeSorted(cur.weights, weights, (w) => `${w[0]}:${w[1]}`, (w) => w[0]),
        doses: mergeSorted(cur.doses, doses, String, (d) => d),
      };
      const r = await stats.collection.updateOne({ _id, version: doc.version }, { $set: { data: seal(patientId, next), updatedAt: new Date() }, $inc: { version: 1 } });
      if (r.modifiedCount === 1) return;
    }
    throw new Error("patient stats update kept conflicting");
  }

  /** Drop summaries (they are rebuilt from readings on next use). */
  async function invalidate(patientIds?: string[]): Promise<void> {
    await stats.collection.deleteMany(patientIds ? { _id: { $in: patientIds.map((id) => new Types.ObjectId(id)) } } : {});
  }

  return { load, build, apply, invalidate, empty: (): PatientStats => structuredClone(EMPTY) };
}

export type PatientStatsService = ReturnType<typeof createPatientStatsService>;
