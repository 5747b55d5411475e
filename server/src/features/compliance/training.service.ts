import { STAFF_ROLES, TRAINING_VALID_DAYS, type TrainingRecordInput, type TrainingRecordView, type TrainingStatusView } from "@glp1/shared";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import { requireRole } from "../../auth/policy.js";
import type { UserModel } from "../../auth/user.model.js";
import { notFound } from "../../http/errors.js";
import type { TrainingModel } from "./training.model.js";

type StaffRole = (typeof STAFF_ROLES)[number];
const DAY_MS = 86_400_000;

/** Workforce HIPAA training: admins record completions; a status per staff member with `lapsed`. */
export function createTrainingService(deps: { training: TrainingModel; users: UserModel; now?: () => Date }) {
  const { training, users } = deps;
  const now = deps.now ?? (() => new Date());

  async function record(actor: Actor, input: TrainingRecordInput, target: AuditTarget): Promise<TrainingRecordView> {
    requireRole(actor, "admin");
    const staff = await users.exists({ _id: input.userId, role: { $in: [...STAFF_ROLES] } });
    if (!staff) throw notFound("staff member");
    const doc = await training.create({
      userId: new Types.ObjectId(input.userId),
      completedAt: new Date(input.completedAt),
      course: input.course,
      recordedBy: new Types.ObjectId(actor.userId),
      recordedAt: new Date(),
    });
    target.resourceId = String(doc._id);
    return {
      id: String(doc._id),
      userId: input.userId,
      completedAt: doc.completedAt.toISOString(),
      course: doc.course,
      recordedBy: actor.userId,
      recordedAt: doc.recordedAt.toISOString(),
    };
  }

  /** Every staff member (physician, support, admin) with their latest completion. */
  async function status(actor: Actor): Promise<TrainingStatusView[]> {
    requireRole(actor, "admin");
    // Hydrated so the encryption plugin opens the names.
    const staff = await users.find({ role: { $in: [...STAFF_ROLES] } }, { name: 1, role: 1, active: 1 }).sort({ _id: 1 });
    const records = await training
      .find({ userId: { $in: staff.map((s) => s._id) } }, { userId: 1, completedAt: 1, course: 1 })
      .sort({ completedAt: -1 })
      .lean();
    const latest = new Map<string, { completedAt: Date; course: string }>();
    for (const r of records) if (!latest.has(String(r.userId))) latest.set(String(r.userId), r);
    const cutoff = now().getTime() - TRAINING_VALID_DAYS * DAY_MS;
    return staff.map((s) => {
      const last = latest.get(String(s._id));
      return {
        userId: String(s._id),
        role: s.role as StaffRole,
        name: s.name,
        active: s.active,
        lastCompletedAt: last ? last.completedAt.toISOString() : null,
        lastCourse: last ? last.course : null,
        lapsed: !last || last.completedAt.getTime() < cutoff,
      };
    });
  }

  return { record, status };
}

export type TrainingService = ReturnType<typeof createTrainingService>;
