import type { AlertView, BreakGlassInput } from "@glp1/shared";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import type { UserModel } from "../../auth/user.model.js";
import { AppError, forbidden } from "../../http/errors.js";
import type { Notifier } from "../../realtime/notifier.js";
import type { BreakGlassModel } from "./breakglass.model.js";

/** Audit code of the grant itself (the accesses under it carry BREAK_GLASS_AUDIT_REASON). */
export const BREAK_GLASS_GRANTED = "BREAK_GLASS_GRANTED";

/**
 * Break-glass: a physician opens the record of a patient outside their care team by
 * stating a reason. The grant lasts `ttlMs`; every admin is alerted at once; every
 * access under it is audited as emergency access (auth/access.ts). Prescribing and
 * other treating-physician acts stay with the care team.
 */
export function createBreakGlassService(deps: { grants: BreakGlassModel; users: UserModel; access: Access; notifier: Notifier; ttlMs: number }) {
  const { grants, users, access, notifier } = deps;

  async function open(actor: Actor, patientId: string, input: BreakGlassInput, target: AuditTarget): Promise<{ expiresAt: string }> {
    target.resource = "patient";
    target.resourceId = patientId;
    target.patientId = patientId;
    if (actor.role !== "physician") throw forbidden();
    const patient = await users.findOne({ _id: patientId, role: "patient", active: true }, { _id: 1 }).lean();
    if (!patient) throw new AppError("NOT_FOUND", "patient not found");
    if (await access.isInCareTeam(actor.userId, patientId)) {
      throw new AppError("CONFLICT", "you are in this patient's care team; break-glass is not needed");
    }
    const expiresAt = new Date(Date.now() + deps.ttlMs);
    const grant = await grants.create({ physicianId: actor.userId, patientId, reason: input.reason, expiresAt });
    // The record first, then the live grant: a grant never exists without its trail.
    const until = await access.grantBreakGlass(actor.userId, patientId, deps.ttlMs);
    target.reason = BREAK_GLASS_GRANTED;
    // Admins are told who, by name (a staff name, not patient PHI; the plugin opens the sealed field).
    const [admins, physician] = await Promise.all([users.find({ role: "admin", active: true }, { _id: 1 }).lean(), users.findById(actor.userId, { name: 1 })]);
    const alert: AlertView = {
      id: String(grant._id),
      patientId,
      kind: "break_glass",
      severity: "high",
      createdAt: grant.createdAt.toISOString(),
      status: "open",
      occurrences: 1,
      actorId: actor.userId,
      ...(physician?.name ? { actorName: physician.name } : {}),
      expiresAt: until.toISOString(),
    };
    notifier.toUsers(admins.map((a) => String(a._id)), "alert:new", { alert });
    return { expiresAt: until.toISOString() };
  }

  /** Grants on a patient, newest first, with their reasons (admin review). */
  async function listFor(patientId: string) {
    const docs = await grants.find({ patientId: new Types.ObjectId(patientId) }).sort({ createdAt: -1 }).limit(100);
    return docs.map((g) => ({ id: String(g._id), physicianId: String(g.physicianId), reason: g.reason, createdAt: g.createdAt.toISOString(), expiresAt: g.expiresAt.toISOString() }));
  }

  return { open, listFor };
}

export type BreakGlassService = ReturnType<typeof createBreakGlassService>;
