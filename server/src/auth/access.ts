import { BREAK_GLASS_AUDIT_REASON } from "@glp1/shared";
import type { Redis } from "ioredis";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../audit/audited.js";
import { forbidden } from "../http/errors.js";
import { chunks, createBatcher } from "../infra/batch.js";
import type { CareTeamModel } from "./careTeam.model.js";

/** Why access to a patient's record was granted (kept for the audit trail). */
export type AccessBasis = "self" | "care_team" | "admin" | "break_glass";

export interface PatientAccessOptions {
  /** Admins may read this (exports, signature checks); never clinical write paths. */
  admin?: boolean;
  /** The patient themself may (default true). */
  self?: boolean;
}

/** Where live break-glass grants are kept: Redis keys with the grant's TTL, so expiry needs no sweep. */
export interface BreakGlassStore {
  redis: Redis;
  namespace: string;
}

/**
 * The one place that decides who may touch a patient's record: the patient, a physician
 * in their care team (from the database, never from the request), and admins where a
 * route says so. Every patient-scoped service calls this first; it names the patient on
 * the audit target so refusals are audited against the right record.
 */
export function createAccess(deps: { careTeams: CareTeamModel; breakGlass?: BreakGlassStore }) {
  const { careTeams, breakGlass } = deps;
  const grantKey = (physicianId: string, patientId: string) => `${breakGlass!.namespace}:bg:${physicianId}:${patientId}`;

  /**
   * Each act reads the care team from the database (teams change, so nothing is cached);
   * acts that arrive together share one read (`$in` on the unique, indexed patientId).
   */
  const teamOf = createBatcher<string, ReadonlySet<string>>(async (patientIds) => {
    const found = new Map<string, ReadonlySet<string>>();
    for (const part of chunks([...new Set(patientIds)], 500)) {
      const teams = await careTeams.find({ patientId: { $in: part.map((id) => new Types.ObjectId(id)) } }, { patientId: 1, physicianIds: 1 }).lean();
      for (const t of teams) found.set(String(t.patientId), new Set(t.physicianIds.map(String)));
    }
    return patientIds.map((id) => found.get(id) ?? new Set<string>());
  });

  async function isInCareTeam(physicianId: string, patientId: string): Promise<boolean> {
    if (!Types.ObjectId.isValid(physicianId) || !Types.ObjectId.isValid(patientId)) return false;
    return (await teamOf(String(new Types.ObjectId(patientId)))).has(String(new Types.ObjectId(physicianId)));
  }

  async function careTeamOf(patientId: string): Promise<string[]> {
    const team = await careTeams.findOne({ patientId }, { physicianIds: 1 }).lean();
    return (team?.physicianIds ?? []).map(String);
  }

  /** Patients in a physician's panel. */
  async function panelOf(physicianId: string): Promise<string[]> {
    const teams = await careTeams.find({ physicianIds: new Types.ObjectId(physicianId) }, { patientId: 1 }).lean();
    return teams.map((t) => String(t.patientId));
  }

  /** Record a break-glass grant; it lapses by itself after `ms`. Returns when it ends. */
  async function grantBreakGlass(physicianId: string, patientId: string, ms: number): Promise<Date> {
    if (!breakGlass) throw new Error("break-glass store not configured");
    const expiresAt = new Date(Date.now() + ms);
    await breakGlass.redis.set(grantKey(physicianId, patientId), String(expiresAt.getTime()), "PX", ms);
    return expiresAt;
  }

  /** When the physician's live grant on the patient ends, or null when there is none. */
  async function breakGlassUntil(physicianId: string, patientId: string): Promise<Date | null> {
    if (!breakGlass || !Types.ObjectId.isValid(physicianId) || !Types.ObjectId.isValid(patientId)) return null;
    const v = await breakGlass.redis.get(grantKey(physicianId, patientId));
    return v && Number(v) > Date.now() ? new Date(Number(v)) : null;
  }

  /**
   * Patient, care team, admin where allowed, or a physician holding a live break-glass
   * grant: that access is marked as emergency access on its audit entry (the entry of a
   * success carries `reason` from the target).
   */
  async function assertPatientAccess(actor: Actor, patientId: string, target: AuditTarget, opts: PatientAccessOptions = {}): Promise<AccessBasis> {
    target.patientId = patientId;
    if (actor.role === "patient" && actor.userId === patientId && opts.self !== false) return "self";
    if (actor.role === "physician" && (await isInCareTeam(actor.userId, patientId))) return "care_team";
    if (actor.role === "admin" && opts.admin) return "admin";
    if (actor.role === "physician" && (await breakGlassUntil(actor.userId, patientId))) {
      target.reason = BREAK_GLASS_AUDIT_REASON;
      return "break_glass";
    }
    throw forbidden();
  }

  /** Only a physician in the patient's care team (prescribing, acknowledging alerts). */
  async function assertTreatingPhysician(actor: Actor, patientId: string, target: AuditTarget): Promise<void> {
    target.patientId = patientId;
    if (actor.role !== "physician" || !(await isInCareTeam(actor.userId, patientId))) throw forbidden();
  }

  return { isInCareTeam, careTeamOf, panelOf, assertPatientAccess, assertTreatingPhysician, grantBreakGlass, breakGlassUntil };
}

export type Access = ReturnType<typeof createAccess>;
