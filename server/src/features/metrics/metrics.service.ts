import type { MetricKind, MetricsQuery, PatientInstruction, Reading, ReadingValue, ReportMetricsInput } from "@glp1/shared";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import { Types } from "mongoose";
import { forbidden } from "../../http/errors.js";
import { createBatcher } from "../../infra/batch.js";
import { insertSealed } from "../../infra/crypto/encryption.plugin.js";
import type { Notifier } from "../../realtime/notifier.js";
import { rooms } from "../../realtime/rooms.js";
import type { AlertService, Finding } from "../alerts/alerts.service.js";
import { heartRateRise, instantFindings, missedDoses, rapidWeightLoss, severeGiDays, strongestPerKind } from "../alerts/rules.js";
import type { ReadingModel, ReadingRecord } from "./metrics.model.js";
import { type NormalizedReading, normalizeReading } from "./normalize.js";

const DAY = 86_400_000;

export function toReading(r: ReadingRecord): Reading {
  return {
    id: String(r._id),
    patientId: String(r.patientId),
    kind: r.kind,
    value: JSON.parse(r.value) as ReadingValue,
    unit: r.unit,
    observedAt: r.observedAt.toISOString(),
    entered: JSON.parse(r.entered) as Reading["entered"],
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Health metrics: a patient reports readings (REST or socket, same function), they are
 * normalized, sealed, stored, checked against the red-flag rules, and pushed to the
 * patient's room, which only the patient and their care team can join.
 */
export function createMetricsService(deps: { readings: ReadingModel; alerts: AlertService; access: Access; notifier: Notifier }) {
  const { readings, alerts, access, notifier } = deps;
  const insertReading = createBatcher((items: Array<Partial<ReadingRecord>>) => insertSealed(readings, items));
  /**
   * A patient's readings of one kind in a window, oldest first. Windows asked for together
   * (many patients reporting at once) share one query per kind, split up here.
   */
  const readHistory = createBatcher(async (asks: Array<{ patientId: string; kind: MetricKind; from: Date; to: Date }>) => {
    const found = new Map<string, Reading[]>();
    for (const kind of new Set(asks.map((a) => a.kind))) {
      const mine = asks.filter((a) => a.kind === kind);
      const from = new Date(Math.min(...mine.map((a) => a.from.getTime())));
      const to = new Date(Math.max(...mine.map((a) => a.to.getTime())));
      const ids = [...new Set(mine.map((a) => a.patientId))].map((id) => new Types.ObjectId(id));
      for (const r of (await readings.find({ patientId: { $in: ids }, kind, observedAt: { $gte: from, $lte: to } }).sort({ observedAt: 1 })).map(toReading)) {
        const key = `${r.patientId}:${kind}`;
        const list = found.get(key);
        if (list) list.push(r);
        else found.set(key, [r]);
      }
    }
    return asks.map((a) => (found.get(`${a.patientId}:${a.kind}`) ?? []).filter((r) => Date.parse(r.observedAt) >= a.from.getTime() && Date.parse(r.observedAt) <= a.to.getTime()));
  });

  async function report(
    actor: Actor,
    input: ReportMetricsInput,
    target: AuditTarget,
  ): Promise<{ readings: Reading[]; instructions: PatientInstruction[] }> {
    target.resource = "reading";
    if (actor.role !== "patient") throw forbidden();
    const patientId = actor.userId;
    target.patientId = patientId;
    // Every reading is checked before any is stored: a bad one refuses the whole report.
    const now = Date.now();
    const normalized = input.readings.map((r, i) => normalizeReading(r, `readings.${i}`, now));
    const stored: ReadingRecord[] = [];
    const fresh: NormalizedReading[] = [];
    const dedupeKeys = normalized.map((_, i) => (input.requestId ? `${input.requestId}:${i}` : undefined));
    // The report's readings go out together, and with other patients' (one sealed insertMany).
    const inserted = await Promise.allSettled(
      normalized.map((n, i) =>
        insertReading({
          patientId: new Types.ObjectId(patientId),
          kind: n.kind,
          value: JSON.stringify(n.value),
          unit: n.unit,
          entered: JSON.stringify(n.entered),
          observedAt: n.observedAt,
          ...(dedupeKeys[i] ? { dedupeKey: dedupeKeys[i] } : {}),
        }),
      ),
    );
    for (const [i, r] of inserted.entries()) {
      if (r.status === "fulfilled") {
        stored.push(r.value);
        fresh.push(normalized[i]!);
        continue;
      }
      // A retried report (same requestId): answer with what the first one stored.
      const err = r.reason as { code?: number };
      const prior = err.code === 11000 && dedupeKeys[i] ? await readings.findOne({ patientId, dedupeKey: dedupeKeys[i] }) : null;
      if (!prior) throw r.reason;
      stored.push(prior);
    }
    const views = stored.map(toReading);
    target.resourceId = views[0]?.id ?? null;
    const findings = await evaluate(patientId, fresh);
    const { instructions } = await alerts.raise(patientId, findings, "reading", views[0]?.id ?? null);
    notifier.toRoom(rooms.patient(patientId), "metrics:update", { patientId, readings: views });
    return { readings: views, instructions };
  }

  /** Run the red-flag rules over new readings, loading only the history each rule needs. */
  async function evaluate(patientId: string, fresh: NormalizedReading[]): Promise<Finding[]> {
    const findings = fresh.flatMap((r) => instantFindings(r));
    const latest = (kind: MetricKind) => fresh.filter((r) => r.kind === kind);
    const history = (kind: MetricKind, from: Date, to: Date) => readHistory({ patientId, kind, from, to });

    for (const w of latest("weight")) {
      const past = await history("weight", new Date(w.observedAt.getTime() - 28 * DAY), w.observedAt);
      const f = rapidWeightLoss(
        past.map((p) => ({ kg: p.value as number, at: new Date(p.observedAt) })),
        { kg: w.value as number, at: w.observedAt },
      );
      if (f) findings.push(f);
    }
    const hrs = latest("heart_rate");
    if (hrs.length > 0) {
      const first = (await readings.find({ patientId, kind: "heart_rate" }).sort({ observedAt: 1 }).limit(3)).map(toReading);
      const sortedFirst = first.map((r) => r.value as number).sort((a, b) => a - b);
      const baseline = sortedFirst.length >= 3 ? sortedFirst[1]! : null;
      const newest = hrs.reduce((a, b) => (a.observedAt > b.observedAt ? a : b));
      const recent = (await readings.find({ patientId, kind: "heart_rate", observedAt: { $lte: newest.observedAt } }).sort({ observedAt: -1 }).limit(2))
        .map(toReading)
        .reverse();
      const f = heartRateRise(baseline, recent.map((r) => r.value as number));
      if (f) findings.push(f);
    }
    const gis = latest("gi");
    if (gis.length > 0) {
      const newest = gis.reduce((a, b) => (a.observedAt > b.observedAt ? a : b)).observedAt;
      const past = await history("gi", new Date(newest.getTime() - 3 * DAY), newest);
      const f = severeGiDays(
        past.map((p) => ({ ...(p.value as { vomiting: number; diarrhea: number }), at: new Date(p.observedAt) })),
        newest,
      );
      if (f) findings.push(f);
    }
    for (const d of latest("dose")) {
      const prev = await readings.findOne({ patientId, kind: "dose", observedAt: { $lt: d.observedAt } }).sort({ observedAt: -1 });
      const f = missedDoses(prev ? prev.observedAt : null, d.observedAt);
      if (f) findings.push(f);
    }
    return strongestPerKind(findings);
  }

  async function query(actor: Actor, patientId: string, q: MetricsQuery, target: AuditTarget): Promise<Reading[]> {
    target.resource = "reading";
    await access.assertPatientAccess(actor, patientId, target);
    const filter: Record<string, unknown> = { patientId };
    if (q.kind) filter.kind = q.kind;
    if (q.from || q.to) filter.observedAt = { ...(q.from ? { $gte: new Date(q.from) } : {}), ...(q.to ? { $lte: new Date(q.to) } : {}) };
    // The newest `limit` readings, oldest first: a long history must not hide recent ones.
    const docs = await readings.find(filter).sort({ observedAt: -1 }).limit(q.limit);
    return docs.reverse().map(toReading);
  }

  /**
   * May this user watch the patient's live feed? (The socket door joins the room.) Under
   * break-glass, the watch must end with the grant: `until` says when.
   */
  async function authorizeFeed(actor: Actor, patientId: string, target: AuditTarget): Promise<{ until: Date | null }> {
    target.resource = "reading";
    const basis = await access.assertPatientAccess(actor, patientId, target);
    return { until: basis === "break_glass" ? await access.breakGlassUntil(actor.userId, patientId) : null };
  }

  return { report, query, authorizeFeed, evaluate };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
