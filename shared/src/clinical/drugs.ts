/**
 * GLP-1 drugs and their titration ladders (once weekly, subcutaneous).
 * Sources: Wegovy (semaglutide) prescribing information, dose escalation table;
 * Zepbound (tirzepatide) prescribing information and Lilly medical information on dose
 * escalation. Check current labels (DailyMed) before treating any value as final.
 */
export const DRUG_NAMES = ["semaglutide", "tirzepatide"] as const;
export type DrugName = (typeof DRUG_NAMES)[number];

export interface DrugDefinition {
  name: DrugName;
  brand: string;
  /** Dose steps in mg, lowest first. */
  steps: readonly number[];
  /** Minimum whole weeks at a step before escalating to the next. */
  minWeeksPerStep: number;
  /** Doses that may be held long term. */
  maintenance: readonly number[];
  /** Doses only for starting (never a maintenance dose). */
  startOnly: readonly number[];
  source: string;
}

export const DRUGS: Readonly<Record<DrugName, DrugDefinition>> = {
  semaglutide: {
    name: "semaglutide",
    brand: "Wegovy",
    steps: [0.25, 0.5, 1.0, 1.7, 2.4],
    minWeeksPerStep: 4,
    // 2.4 mg; 1.7 mg where 2.4 mg is not tolerated (Wegovy PI, section 2).
    maintenance: [2.4, 1.7],
    startOnly: [],
    source: "Wegovy prescribing information, Table 1 (dose escalation schedule)",
  },
  tirzepatide: {
    name: "tirzepatide",
    brand: "Zepbound",
    steps: [2.5, 5, 7.5, 10, 12.5, 15],
    minWeeksPerStep: 4,
    maintenance: [5, 10, 15],
    // 2.5 mg is for treatment initiation only (Zepbound PI, section 2.1).
    startOnly: [2.5],
    source: "Zepbound prescribing information, section 2.1; Lilly medical answer on dose escalation",
  },
};

/** Index of a dose on its drug's ladder, or -1 when the dose is not a step. */
export function stepIndex(drug: DrugName, mg: number): number {
  return DRUGS[drug].steps.findIndex((s) => Math.abs(s - mg) < 1e-9);
}

/** Missed semaglutide dose: take it when under 5 days late, otherwise skip (secondary source; confirm on label). */
export const MISSED_DOSE_TAKE_WITHIN_DAYS = 5;
/** A gap of this many weeks without a dose should prompt physician review before resuming the same step. */
export const LONG_GAP_WEEKS = 2;
