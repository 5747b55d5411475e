import {
  ACTIVE_HISTORY_STATUSES,
  type AlertSeverity,
  currentDose,
  type DashboardQuery,
  type DashboardRow,
  type DashboardSortKey,
  DRUGS,
  nextAllowedStep,
  SEVERITY_RANK,
  type TitrationHistoryEntry,
} from "@glp1/shared";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import { requireRole } from "../../auth/policy.js";
import type { UserModel } from "../../auth/user.model.js";
import { aadFor, type FieldCipher } from "../../infra/crypto/fieldCipher.js";
import type { AlertService } from "../alerts/alerts.service.js";
import type { ConversationModel } from "../chat/chat.model.js";
import { unreadOf } from "../chat/counters.js";
import type { PrescriptionModel } from "../prescriptions/index.js";
import type { Presence } from "./presence.js";
import type { PatientStats, PatientStatsService } from "./stats.service.js";

export const WEEK_MS = 7 * 86_400_000;
/** A weight up to this long after the first prescription still counts as the baseline. */
const BASELINE_GRACE_MS = 3 * 86_400_000;

/** The dose history of many patients, oldest first (signed, sent or filled prescriptions only). */
export async function historiesOf(prescriptions: PrescriptionModel, patientIds: string[]): Promise<Map<string, TitrationHistoryEntry[]>> {
  const out = new Map<string, TitrationHistoryEntry[]>();
  if (patientIds.length === 0) return out;
  const docs = await prescriptions.collection
    .find(
      { patientId: { $in: patientIds.map((id) => new Types.ObjectId(id)) }, status: { $in: [...ACTIVE_HISTORY_STATUSES] }, signedAt: { $ne: null } },
      { projection: { patientId: 1, drug: 1, doseMg: 1, signedAt: 1 } },
    )
    .toArray();
  for (const d of docs) {
    const id = String(d.patientId);
    const list = out.get(id) ?? [];
    list.push({ drug: d.drug, doseMg: d.doseMg, signedAt: d.signedAt as Date });
    out.set(id, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.signedAt as Date).getTime() - (b.signedAt as Date).getTime());
  return out;
}

/** Baseline weight: the last weight at or before the start of therapy (first signed prescription), else the first one. */
export function baselineOf(stats: PatientStats, startMs: number | null): { kg: number; at: number } | null {
  if (stats.weights.length === 0) return null;
  const first = stats.weights[0]!;
  if (startMs === null) return { kg: first[1], at: first[0] };
  // The last weight at or before the start; else the first within a few days after it; else the first ever.
  let base: [number, number] | null = null;
  for (const w of stats.weights) {
    if (w[0] <= startMs) base = w;
    else break;
  }
  if (!base && first[0] <= startMs + BASELINE_GRACE_MS) base = first;
  base ??= first;
  return { kg: base[1], at: base[0] };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** Default direction per sort key: the rows needing attention first. */
const DEFAULT_ORDER: Record<DashboardSortKey, "asc" | "desc"> = {
  name: "asc",
  latestWeightKg: "desc",
  pctChange: "asc",
  weeksOnTherapy: "desc",
  adherence: "asc",
  openAlerts: "desc",
  unread: "desc",
  lastContactAt: "asc",
};

/**
 * "Ann Marie Smith" sorts as "smith", then "ann marie": a panel is read by family name. The
 * family name is taken as the last word (no name-order rules per culture); NUL keeps
 * "Smith, Ann" before "Smithers, Al".
 */
function familyNameKey(name: string): string {
  const words = name.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const family = words.pop() ?? "";
  return `${family}\u0000${words.join(" ")}`;
}

function sortValue(r: DashboardRow, key: DashboardSortKey): number | string | null {
  switch (key) {
    case "name":
      return familyNameKey(r.name);
    case "adherence":
      return r.adherence.pct;
    case "openAlerts":
      // urgent outweighs any number of high, high any number of medium.
      return r.openAlerts.urgent * 1e6 + r.openAlerts.high * 1e3 + r.openAlerts.medium;
    case "lastContactAt":
      return r.lastContactAt;
    default:
      return r[key];
  }
}

export interface DashboardServiceDeps {
  users: UserModel;
  conversations: ConversationModel;
  prescriptions: PrescriptionModel;
  cipher: FieldCipher;
  access: Access;
  alerts: AlertService;
  stats: PatientStatsService;
  presence: Presence;
  clock?: () => Date;
}

/**
 * The physician dashboard: one row per patient of the caller's panel, computed in
 * TypeScript from a handful of `find`s over the whole panel (no per-patient queries, no
 * aggregation beyond what FerretDB supports). Sorting, filtering and paging happen here.
 */
export function createDashboardService(deps: DashboardServiceDeps) {
  const { users, conversations, prescriptions, cipher, access, alerts, stats, presence } = deps;
  const now = deps.clock ?? (() => new Date());

  async function namesOf(ids: string[]): Promise<Map<string, string>> {
    const docs = await users.collection.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }, { projection: { name: 1 } }).toArray();
    return new Map(docs.map((u) => [String(u._id), cipher.open(u.name as string, aadFor("users", "name", u._id))]));
  }

  /** Rows for these patients as `physicianId` sees them (the caller has checked the panel). */
  async function rowsFor(physicianId: string, patientIds: string[]): Promise<DashboardRow[]> {
    if (patientIds.length === 0) return [];
    const physician = new Types.ObjectId(physicianId);
    const [names, summaries, histories, open, convs, online] = await Promise.all([
      namesOf(patientIds),
      stats.load(patientIds),
      historiesOf(prescriptions, patientIds),
      alerts.openFor(patientIds),
      conversations.find({ physicianId: physician, patientId: { $in: patientIds } }).lean(),
      presence.online(patientIds),
    ]);
    const convOf = new Map(convs.map((c) => [String(c.patientId), c]));
    const t = now();
    return patientIds.map((patientId) => {
      const s = summaries.get(patientId) ?? stats.empty();
      const history = histories.get(patientId) ?? [];
      const cur = currentDose(history);
      const startMs = history[0] ? (history[0].signedAt as Date).getTime() : null;
      const base = baselineOf(s, startMs);
      const latest = s.weights.at(-1) ?? null;
      const next = history.length > 0 ? nextAllowedStep(history, t) : null;
      const counts = { urgent: 0, high: 0, medium: 0, total: 0 };
      let top: AlertSeverity | null = null;
      for (const a of open) {
        if (a.patientId !== patientId) continue;
        counts[a.severity] += 1;
        counts.total += 1;
        if (!top || SEVERITY_RANK[a.severity] < SEVERITY_RANK[top]) top = a.severity;
      }
      const expected = startMs !== null ? Math.max(1, Math.floor((t.getTime() - startMs) / WEEK_MS) + 1) : 0;
      const taken = startMs !== null ? s.doses.filter((d) => d >= startMs - BASELINE_GRACE_MS).length : 0;
      const conv = convOf.get(patientId);
      return {
        patientId,
        name: names.get(patientId) ?? "",
        latestWeightKg: latest ? round(latest[1], 1) : null,
        latestWeightAt: latest ? new Date(latest[0]).toISOString() : null,
        baselineWeightKg: base ? round(base.kg, 1) : null,
        pctChange: latest && base ? round(((latest[1] - base.kg) / base.kg) * 100, 1) : null,
        weeksOnTherapy: startMs !== null ? Math.floor((t.getTime() - startMs) / WEEK_MS) : null,
        drug: cur?.drug ?? null,
        doseMg: cur?.doseMg ?? null,
        maintenance: cur ? DRUGS[cur.drug].maintenance.some((m) => Math.abs(m - cur.doseMg) < 1e-9) : false,
        escalationDue: next?.escalation?.due ?? false,
        adherence: { taken: Math.min(taken, expected), expected, pct: expected > 0 ? Math.round((Math.min(taken, expected) / expected) * 100) : null },
        openAlerts: counts,
        topSeverity: top,
        unread: conv ? unreadOf(conv, "physician") : 0,
        lastContactAt: conv?.lastMessageAt ? conv.lastMessageAt.toISOString() : null,
        conversationId: conv ? String(conv._id) : null,
        online: online.has(patientId),
        sparkline: s.weights.slice(-12).map((w) => round(w[1], 1)),
      };
    });
  }

  function applyQuery(rows: DashboardRow[], q: DashboardQuery): DashboardRow[] {
    const prefix = q.q?.toLowerCase();
    const filtered = rows.filter(
      (r) =>
        (!q.drug || r.drug === q.drug) &&
        (!q.alerts || (r.topSeverity !== null && SEVERITY_RANK[r.topSeverity] <= SEVERITY_RANK[q.alerts])) &&
        (q.escalationDue === undefined || r.escalationDue === q.escalationDue) &&
        (q.unread === undefined || r.unread > 0 === q.unread) &&
        (q.online === undefined || r.online === q.online) &&
        (!prefix || r.name.toLowerCase().startsWith(prefix) || r.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(prefix))),
    );
    const dir = (q.order ?? DEFAULT_ORDER[q.sort]) === "asc" ? 1 : -1;
    return filtered.sort((a, b) => {
      const x = sortValue(a, q.sort);
      const y = sortValue(b, q.sort);
      // Rows without a value go last whichever the direction.
      if (x === null || y === null) return x === y ? a.name.localeCompare(b.name) : x === null ? 1 : -1;
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.name.localeCompare(b.name);
    });
  }

  /** `GET /api/dashboard`: the caller's own panel only. */
  async function list(actor: Actor, q: DashboardQuery, target: AuditTarget): Promise<{ patients: DashboardRow[]; total: number }> {
    target.resource = "dashboard";
    requireRole(actor, "physician");
    target.resourceId = actor.userId;
    const panel = await access.panelOf(actor.userId);
    const rows = applyQuery(await rowsFor(actor.userId, panel), q);
    return { patients: rows.slice(q.offset, q.offset + q.limit), total: rows.length };
  }

  return { list, rowsFor, applyQuery };
}

export type DashboardService = ReturnType<typeof createDashboardService>;
