/**
 * A patient's dose history as a timeline: consecutive doses of the same drug and strength
 * form one step (titration moves from step to step), and a pause of two or more missed
 * weekly doses between two doses is shown as a gap, by the same rule as the missed-doses
 * alert (`RED_FLAGS.missedDosesAfterDays`; the clinical reference: a long gap should
 * prompt a review before resuming at the same step).
 */
import { RED_FLAGS, type Reading } from "@glp1/shared";

export interface DoseStep {
  drug: string;
  mg: number;
  /** First and last dose of the step, ms since the epoch. */
  from: number;
  to: number;
  doses: number;
}

export interface DoseGap {
  /** The dose before the gap and the one after it. */
  from: number;
  to: number;
  days: number;
}

export type DoseEvent = ({ type: "step" } & DoseStep) | ({ type: "gap" } & DoseGap);

const DAY_MS = 86_400_000;
/** A weekly dose this many days or more after the one before means at least two were missed. */
export const GAP_DAYS = RED_FLAGS.missedDosesAfterDays;

/** Dose readings (others ignored, any order) → steps and gaps, oldest first. */
export function doseTimeline(readings: readonly Reading[]): DoseEvent[] {
  const doses = readings
    .filter((r) => r.kind === "dose")
    .map((r) => ({ at: Date.parse(r.observedAt), ...(r.value as { drug: string; mg: number }) }))
    .filter((d) => Number.isFinite(d.at))
    .sort((a, b) => a.at - b.at);
  const out: DoseEvent[] = [];
  let step: ({ type: "step" } & DoseStep) | null = null;
  for (const d of doses) {
    if (step) {
      const days = (d.at - step.to) / DAY_MS;
      if (days >= GAP_DAYS) out.push({ type: "gap", from: step.to, to: d.at, days: Math.round(days) });
    }
    if (step && step.drug === d.drug && step.mg === d.mg && out.at(-1) === step) {
      step.to = d.at;
      step.doses += 1;
      continue;
    }
    step = { type: "step", drug: d.drug, mg: d.mg, from: d.at, to: d.at, doses: 1 };
    out.push(step);
  }
  return out;
}

/** The doses as a chart: one series of mg per drug (null where the other drug was given). */
export function doseChart(readings: readonly Reading[]): { times: number[]; drugs: string[]; values: Array<Array<number | null>> } {
  const doses = readings
    .filter((r) => r.kind === "dose")
    .map((r) => ({ at: Date.parse(r.observedAt), ...(r.value as { drug: string; mg: number }) }))
    .sort((a, b) => a.at - b.at);
  const drugs = [...new Set(doses.map((d) => d.drug))];
  return { times: doses.map((d) => d.at), drugs, values: drugs.map((drug) => doses.map((d) => (d.drug === drug ? d.mg : null))) };
}
