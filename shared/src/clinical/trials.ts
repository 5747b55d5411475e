import { DRUGS, type DrugName } from "./drugs.js";

/**
 * The published mean body-weight curves the demo cohort follows, and that the dashboard's
 * cohort figures can be checked against (CLINICAL.md, "Published trajectories").
 *
 * Sources:
 * - STEP 1: Wilding JPH et al. Once-weekly semaglutide in adults with overweight or
 *   obesity. N Engl J Med 2021;384:989-1002. Mean change in body weight from baseline to
 *   week 68: semaglutide 2.4 mg −14.9 %, placebo −2.4 % (treatment-policy estimand).
 * - SURMOUNT-1: Jastreboff AM et al. Tirzepatide once weekly for the treatment of
 *   obesity. N Engl J Med 2022;387:205-216. Mean percentage change in weight at week 72:
 *   5 mg −15.0 %, 10 mg −19.5 %, 15 mg −20.9 %, placebo −3.1 % (treatment-regimen estimand).
 *
 * Only the end points are published numbers. The shape between week 0 and the end point
 * is a model: an exponential approach L·(1 − e^(−t/τ)), scaled so it passes exactly
 * through the published value at the end-point week. τ is chosen per arm so the curve is
 * visibly flat by the end point (≥ 97 % of the end-point value is reached 2–3 τ earlier),
 * as the trials' figures show (weight loss plateauing from about week 60). τ is a
 * modelling choice, not a published figure.
 */
export const COHORT_ARMS = ["semaglutide-2.4", "tirzepatide-5", "tirzepatide-10", "tirzepatide-15"] as const;
export type CohortArm = (typeof COHORT_ARMS)[number];

export interface TrialArm {
  arm: CohortArm;
  drug: DrugName;
  /** The maintenance dose of the arm, mg once weekly. */
  maintenanceMg: number;
  trial: "STEP 1" | "SURMOUNT-1";
  /** Week of the primary end point. */
  endpointWeek: number;
  /** Published mean % change in body weight at the end point (negative = loss). */
  meanPctChange: number;
  /** The same trial's placebo arm at the same week. */
  placeboPctChange: number;
  /** Time constant of the modelled curve, weeks (modelling choice, see above). */
  tauWeeks: number;
  source: string;
}

const STEP1 = "Wilding et al., N Engl J Med 2021;384:989-1002 (STEP 1), primary end point week 68";
const SURMOUNT1 = "Jastreboff et al., N Engl J Med 2022;387:205-216 (SURMOUNT-1), primary end point week 72";

export const TRIAL_ARMS: Readonly<Record<CohortArm, TrialArm>> = {
  "semaglutide-2.4": { arm: "semaglutide-2.4", drug: "semaglutide", maintenanceMg: 2.4, trial: "STEP 1", endpointWeek: 68, meanPctChange: -14.9, placeboPctChange: -2.4, tauWeeks: 18, source: STEP1 },
  "tirzepatide-5": { arm: "tirzepatide-5", drug: "tirzepatide", maintenanceMg: 5, trial: "SURMOUNT-1", endpointWeek: 72, meanPctChange: -15.0, placeboPctChange: -3.1, tauWeeks: 17, source: SURMOUNT1 },
  "tirzepatide-10": { arm: "tirzepatide-10", drug: "tirzepatide", maintenanceMg: 10, trial: "SURMOUNT-1", endpointWeek: 72, meanPctChange: -19.5, placeboPctChange: -3.1, tauWeeks: 19, source: SURMOUNT1 },
  "tirzepatide-15": { arm: "tirzepatide-15", drug: "tirzepatide", maintenanceMg: 15, trial: "SURMOUNT-1", endpointWeek: 72, meanPctChange: -20.9, placeboPctChange: -3.1, tauWeeks: 20, source: SURMOUNT1 },
};

/**
 * The modelled mean % change in body weight at `week` on the arm: 0 at week 0, the
 * published value at the end point, plateauing after it. `tauWeeks` may be varied per
 * patient; the curve still passes through `scale × published value` at the end point.
 */
export function trialCurvePct(arm: CohortArm, week: number, opts: { tauWeeks?: number; scale?: number } = {}): number {
  if (week <= 0) return 0;
  const a = TRIAL_ARMS[arm];
  const tau = opts.tauWeeks ?? a.tauWeeks;
  const norm = 1 - Math.exp(-a.endpointWeek / tau);
  return ((opts.scale ?? 1) * a.meanPctChange * (1 - Math.exp(-week / tau))) / norm;
}

/**
 * The label's escalation schedule up to a maintenance dose: each step held the minimum
 * weeks (4), so semaglutide reaches 2.4 mg at week 16 and tirzepatide 5/10/15 mg at
 * weeks 4/12/20 (Wegovy PI Table 1; Zepbound PI section 2.1). `delays` adds weeks before
 * the step at that index (a step not tolerated may be held 4 more weeks).
 */
export function ladderSchedule(drug: DrugName, maintenanceMg: number, delays: Readonly<Record<number, number>> = {}): { week: number; mg: number }[] {
  const d = DRUGS[drug];
  const top = d.steps.findIndex((s) => Math.abs(s - maintenanceMg) < 1e-9);
  if (top < 0) throw new Error(`${maintenanceMg} mg is not a step of the ${drug} ladder`);
  const out: { week: number; mg: number }[] = [];
  let week = 0;
  for (let i = 0; i <= top; i++) {
    if (i > 0) week += d.minWeeksPerStep + (delays[i] ?? 0);
    out.push({ week, mg: d.steps[i]! });
  }
  return out;
}

/**
 * A patient's cohort arm: the highest maintenance dose their signed history reached on
 * their current drug, provided they are at that dose now (a patient still climbing the
 * ladder, or stepped down from it, belongs to no arm yet). Semaglutide 1.7 mg (allowed
 * where 2.4 mg is not tolerated) has no published STEP 1 arm and is not an arm here.
 */
export function cohortArmOf(drug: DrugName, currentMg: number, dosesReachedMg: readonly number[]): CohortArm | null {
  const candidates = COHORT_ARMS.map((a) => TRIAL_ARMS[a]).filter((a) => a.drug === drug);
  const reached = candidates.filter((a) => dosesReachedMg.some((mg) => Math.abs(mg - a.maintenanceMg) < 1e-9));
  const highest = reached.sort((x, y) => y.maintenanceMg - x.maintenanceMg)[0];
  if (!highest || Math.abs(highest.maintenanceMg - currentMg) > 1e-9) return null;
  return highest.arm;
}
