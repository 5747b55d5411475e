import { type AlertKind, type AlertSeverity, type AlertView, CRISIS_INSTRUCTIONS, type PatientInstruction } from "@glp1/shared";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import { notFound } from "../../http/errors.js";
import type { Notifier } from "../../realtime/notifier.js";
import type { Alert, AlertModel } from "./alerts.model.js";

/** A rule's verdict: raise `kind` at `severity`, because of `evidence`. */
export interface Finding {
  kind: AlertKind;
  severity: AlertSeverity;
  evidence: Record<string, unknown>;
}

export function toAlertView(a: Alert, withEvidence: boolean): AlertView {
  const view: AlertView = {
    id: String(a._id),
    patientId: String(a.patientId),
    kind: a.kind,
    severity: a.severity,
    createdAt: a.createdAt.toISOString(),
    status: a.status,
    occurrences: a.occurrences,
    acknowledgedAt: a.acknowledgedAt ? a.acknowledgedAt.toISOString() : null,
    acknowledgedBy: a.acknowledgedBy ? String(a.acknowledgedBy) : null,
  };
  if (withEvidence) view.evidence = JSON.parse(a.evidence) as Record<string, unknown>;
  return view;
}

/** The push form of an alert: who, what, how bad, when — the evidence stays in the record. */
const notice = (a: Alert): AlertView => toAlertView(a, false);

/**
 * Red-flag alerts. At most one open alert of a kind per patient: a repeat raises its
 * count instead of a new alert. New alerts go to the care team at once (`alert:new`); a
 * crisis also yields instructions for the patient.
 */
export function createAlertService(deps: { alerts: AlertModel; access: Access; notifier: Notifier }) {
  const { alerts, access, notifier } = deps;

  async function raise(
    patientId: string,
    findings: Finding[],
    source: Alert["source"],
    sourceId: string | null,
  ): Promise<{ alerts: AlertView[]; instructions: PatientInstruction[] }> {
    const raised: AlertView[] = [];
    const instructions: PatientInstruction[] = [];
    if (findings.length === 0) return { alerts: raised, instructions };
    const team = await access.careTeamOf(patientId);
    for (const f of findings) {
      const openKey = `${patientId}:${f.kind}`;
      const text = CRISIS_INSTRUCTIONS[f.kind];
      if (text) instructions.push({ kind: f.kind, severity: f.severity, instructions: text });
      try {
        const doc = await alerts.create({
          patientId,
          kind: f.kind,
          severity: f.severity,
          evidence: JSON.stringify(f.evidence),
          source,
          sourceId,
          status: "open",
          openKey,
        });
        raised.push(notice(doc));
        notifier.toUsers(team, "alert:new", { alert: notice(doc) });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
        await alerts.updateOne({ openKey }, { $inc: { occurrences: 1 }, $set: { lastSeenAt: new Date() } });
      }
    }
    if (instructions.length > 0) notifier.toUsers([patientId], "alert:instructions", { instructions });
    return { alerts: raised, instructions };
  }

  async function list(actor: Actor, patientId: string, status: Alert["status"] | undefined, target: AuditTarget): Promise<AlertView[]> {
    target.resource = "alert";
    const basis = await access.assertPatientAccess(actor, patientId, target);
    const filter: Record<string, unknown> = { patientId };
    if (status) filter.status = status;
    const docs = await alerts.find(filter).sort({ createdAt: -1 }).limit(500);
    return docs.map((d) => toAlertView(d, basis !== "self"));
  }

  /** Open alerts of many patients (a physician's panel), without evidence. */
  async function openFor(patientIds: string[]): Promise<AlertView[]> {
    const docs = await alerts.find({ patientId: { $in: patientIds }, status: "open" }).sort({ createdAt: -1 });
    return docs.map(notice);
  }

  /** A physician of the patient acknowledges an alert; acknowledging twice is harmless. */
  async function acknowledge(actor: Actor, alertId: string, target: AuditTarget): Promise<AlertView> {
    target.resource = "alert";
    target.resourceId = alertId;
    const existing = await alerts.findById(alertId, { patientId: 1 }).lean();
    if (!existing) throw notFound("alert");
    const patientId = String(existing.patientId);
    await access.assertTreatingPhysician(actor, patientId, target);
    await alerts.updateOne(
      { _id: alertId, status: "open" },
      { $set: { status: "acknowledged", acknowledgedAt: new Date(), acknowledgedBy: new Types.ObjectId(actor.userId) }, $unset: { openKey: 1 } },
    );
    const doc = (await alerts.findById(alertId))!;
    notifier.toUsers(await access.careTeamOf(patientId), "alert:updated", { alert: notice(doc) });
    return toAlertView(doc, true);
  }

  return { raise, list, openFor, acknowledge };
}

export type AlertService = ReturnType<typeof createAlertService>;
