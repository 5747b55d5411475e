import { randomUUID } from "node:crypto";
import { BREAK_GLASS_AUDIT_REASON, type DisclosureRow, type DisclosuresQuery } from "@glp1/shared";
import { Types } from "mongoose";
import type { AuditModel } from "../../audit/audit.model.js";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import { requireRole } from "../../auth/policy.js";
import type { UserModel } from "../../auth/user.model.js";
import { notFound } from "../../http/errors.js";

const EMERGENCY = new Set([BREAK_GLASS_AUDIT_REASON, "BREAK_GLASS_GRANTED"]);

/**
 * A patient's accounting of disclosures (HIPAA §164.528, and the access report of the
 * proposed §164.528(b)): every audit entry about the patient's record made by someone
 * other than the patient, oldest first. Entries with no user (system jobs) are not
 * disclosures to a person and are left out. Ids and codes only, never PHI.
 */
export function createDisclosureService(deps: { audit: AuditModel; users: UserModel }) {
  async function list(actor: Actor, patientId: string, q: DisclosuresQuery, target: AuditTarget): Promise<DisclosureRow[]> {
    requireRole(actor, "admin");
    target.patientId = patientId;
    target.resourceId = patientId;
    const patient = await deps.users.exists({ _id: patientId, role: "patient" });
    if (!patient) throw notFound("patient");
    const filter: Record<string, unknown> = { patientId: new Types.ObjectId(patientId) };
    if (q.from || q.to) filter.at = { ...(q.from ? { $gte: new Date(q.from) } : {}), ...(q.to ? { $lte: new Date(q.to) } : {}) };
    const docs = await deps.audit
      .find(filter, { at: 1, userId: 1, role: 1, action: 1, resource: 1, resourceId: 1, outcome: 1, reason: 1 })
      .sort({ at: 1, _id: 1 })
      .lean();
    return docs
      .filter((d) => d.userId !== null && String(d.userId) !== patientId)
      .map((d) => ({
        id: String(d._id),
        at: d.at.toISOString(),
        userId: String(d.userId),
        role: d.role,
        action: d.action,
        resource: d.resource,
        resourceId: d.resourceId,
        outcome: d.outcome,
        emergency: d.reason !== null && EMERGENCY.has(d.reason),
        reason: d.reason,
      }));
  }
  return { list };
}

export type DisclosureService = ReturnType<typeof createDisclosureService>;

const CSV_COLUMNS = ["id", "at", "userId", "role", "action", "resource", "resourceId", "outcome", "emergency", "reason"] as const;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, quotes doubled. A
 * leading `= + - @` (or tab/CR) is prefixed with `'` so a spreadsheet never runs it as a
 * formula (OWASP CSV injection); ids and codes never start so, but the guard is cheap.
 */
export function csvField(v: string | number | boolean | null): string {
  let s = v === null ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The accounting as CSV: a header line, CRLF line ends (RFC 4180). */
export function disclosuresCsv(rows: DisclosureRow[]): string {
  const lines = [CSV_COLUMNS.join(","), ...rows.map((r) => CSV_COLUMNS.map((c) => csvField(r[c])).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}

type Json = Record<string, unknown>;

/** CRUDE action code of an audit action, by its verb. */
function fhirAction(action: string): "C" | "R" | "U" | "D" | "E" {
  const verb = action.split(":")[1] ?? "";
  if (/^(read|list|history|export|preview|verify|join|message|update|subscribe|review|routed|disclosures)/.test(verb)) return "R";
  if (/^(create|send|submit|report|register|refill_request)/.test(verb)) return "C";
  if (/^(sign|ack|route|priority|claim|fill|care_team|respond|close)/.test(verb)) return "U";
  return "E";
}

const OUTCOME = { success: "0", denied: "4", failure: "8" } as const;

/** One disclosure as a FHIR R4 AuditEvent. */
export function disclosureToAuditEvent(patientId: string, r: DisclosureRow): Json {
  return {
    resourceType: "AuditEvent",
    id: r.id,
    type: { system: "http://dicom.nema.org/resources/ontology/DCM", code: "110110", display: "Patient Record" },
    subtype: [{ system: "urn:glp1-care:audit-action", code: r.action }],
    action: fhirAction(r.action),
    recorded: r.at,
    outcome: OUTCOME[r.outcome],
    ...(r.reason ? { outcomeDesc: r.reason } : {}),
    ...(r.emergency
      ? { purposeOfEvent: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ActReason", code: "ETREAT", display: "Emergency Treatment" }] }] }
      : {}),
    agent: [
      {
        who: { identifier: { system: "urn:glp1-care:user", value: r.userId } },
        ...(r.role ? { role: [{ coding: [{ system: "urn:glp1-care:role", code: r.role }] }] } : {}),
        // Pushes to a live screen were not asked for by that user.
        requestor: r.reason !== "pushed",
      },
    ],
    source: {
      site: "glp1-care",
      observer: { display: "glp1-care audit log" },
      type: [{ system: "http://terminology.hl7.org/CodeSystem/security-source-type", code: "4", display: "Application Server" }],
    },
    entity: [
      {
        what: { type: "Patient", identifier: { system: "urn:glp1-care:patient", value: patientId } },
        type: { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "1", display: "Person" },
        role: { system: "http://terminology.hl7.org/CodeSystem/object-role", code: "1", display: "Patient" },
      },
      ...(r.resourceId
        ? [
            {
              what: { identifier: { system: `urn:glp1-care:${r.resource}`, value: r.resourceId } },
              type: { system: "http://terminology.hl7.org/CodeSystem/audit-entity-type", code: "2", display: "System Object" },
            },
          ]
        : []),
    ],
  };
}

/** The accounting as a FHIR R4 `collection` Bundle of AuditEvents. */
export function disclosuresBundle(patientId: string, rows: DisclosureRow[]): Json {
  return {
    resourceType: "Bundle",
    type: "collection",
    timestamp: new Date().toISOString(),
    entry: rows.map((r) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource: disclosureToAuditEvent(patientId, r) })),
  };
}
