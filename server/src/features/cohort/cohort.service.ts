import { COHORT_ARMS, type CohortArm, cohortArmOf, type CohortResponse, currentDose } from "@glp1/shared";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import { requireRole } from "../../auth/policy.js";
import type { UserModel } from "../../auth/user.model.js";
import type { PrescriptionModel } from "../prescriptions/index.js";
import { baselineOf, historiesOf, type PatientStatsService, WEEK_MS } from "../dashboard/index.js";

/**
 * Cohort figures: mean % change of body weight from baseline, by week on therapy, per
 * arm. A patient's arm is the maintenance dose they reached and are on now
 * (`cohortArmOf`); their week is counted from the first signed prescription; each
 * weight reading falls in the nearest whole week, and a week's mean is over the patients
 * with a reading in that week. Computed in TypeScript from the per-patient summaries
 * (one sealed document per patient) and the prescription histories.
 */
export function createCohortService(deps: { users: UserModel; prescriptions: PrescriptionModel; access: Access; stats: PatientStatsService }) {
  const { users, prescriptions, access, stats } = deps;

  async function figuresFor(patientIds: string[]): Promise<CohortResponse> {
    const [histories, summaries] = await Promise.all([historiesOf(prescriptions, patientIds), stats.load(patientIds)]);
    const sums = new Map<CohortArm, Map<number, { sum: number; n: number }>>(COHORT_ARMS.map((a) => [a, new Map()]));
    const counts = new Map<CohortArm, number>(COHORT_ARMS.map((a) => [a, 0]));
    for (const id of patientIds) {
      const history = histories.get(id);
      const cur = history ? currentDose(history) : null;
      if (!history || !cur) continue;
      const arm = cohortArmOf(
        cur.drug,
        cur.doseMg,
        history.filter((h) => h.drug === cur.drug).map((h) => h.doseMg),
      );
      const s = summaries.get(id);
      if (!arm || !s) continue;
      const start = (history[0]!.signedAt as Date).getTime();
      const base = baselineOf(s, start);
      if (!base) continue;
      counts.set(arm, counts.get(arm)! + 1);
      const byWeek = sums.get(arm)!;
      // One value per patient per week (the last reading of the week), so a patient who logs daily weighs no more than one who logs weekly.
      const mine = new Map<number, number>();
      for (const [t, kg] of s.weights) {
        const week = Math.round((t - start) / WEEK_MS);
        if (week < 0) continue;
        mine.set(week, ((kg - base.kg) / base.kg) * 100);
      }
      for (const [week, pct] of mine) {
        const cell = byWeek.get(week) ?? { sum: 0, n: 0 };
        cell.sum += pct;
        cell.n += 1;
        byWeek.set(week, cell);
      }
    }
    return {
      arms: COHORT_ARMS.map((arm) => ({
        arm,
        patients: counts.get(arm)!,
        weeks: [...sums.get(arm)!]
          .sort((a, b) => a[0] - b[0])
          .map(([week, c]) => ({ week, meanPctChange: Math.round((c.sum / c.n) * 100) / 100, n: c.n })),
      })),
    };
  }

  /** `GET /api/cohort`: the whole clinic for an admin, the own panel for a physician. */
  async function figures(actor: Actor, target: AuditTarget): Promise<CohortResponse> {
    target.resource = "cohort";
    requireRole(actor, "admin", "physician");
    const ids =
      actor.role === "admin"
        ? (await users.collection.find({ role: "patient" }, { projection: { _id: 1 } }).toArray()).map((u) => String(u._id))
        : await access.panelOf(actor.userId);
    return figuresFor(ids);
  }

  return { figures, figuresFor };
}

export type CohortService = ReturnType<typeof createCohortService>;
