/**
 * Red-flag thresholds (CLINICAL.md, "Red flags"). The product flags; a physician decides.
 * Sources: ADA Standards of Care (hypoglycemia levels 1 and 2: < 70 and < 54 mg/dL);
 * ACC/AHA 2017 guideline (hypertensive crisis: ≥ 180 systolic or ≥ 120 diastolic);
 * Wegovy/Zepbound labels, Warnings and Precautions (pancreatitis, gallbladder disease,
 * hypersensitivity, suicidal ideation, acute kidney injury from dehydration, thyroid C-cell tumors).
 */
export const ALERT_SEVERITIES = ["urgent", "high", "medium"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_KINDS = [
  "pancreatitis",
  "gallbladder",
  "hypoglycemia_level2",
  "hypoglycemia_level1",
  "hypertensive_crisis",
  "dehydration",
  "suicidal_ideation",
  "anaphylaxis",
  "thyroid",
  "rapid_weight_loss",
  "heart_rate_rise",
  "missed_doses",
  "break_glass",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const RED_FLAGS = {
  /** Severe persistent abdominal pain, possibly to the back: pancreatitis. */
  abdominalPainUrgentAtLeast: 7,
  /** Level 2 hypoglycemia (urgent) and level 1 (high), mg/dL. */
  glucoseUrgentBelow: 54,
  glucoseHighBelow: 70,
  /** Hypertensive crisis, mmHg. */
  systolicUrgentAtLeast: 180,
  diastolicUrgentAtLeast: 120,
  /** Severe vomiting or diarrhea (score) on this many distinct days: dehydration / AKI risk. */
  severeGiAtLeast: 7,
  severeGiDays: 2,
  /** Weight loss faster than this, averaged over at least `rapidLossMinWeeks` (gallstone risk). */
  rapidLossKgPerWeek: 1.5,
  rapidLossMinWeeks: 2,
  /** Resting heart rate up by at least this from baseline, on this many consecutive readings. */
  heartRateRiseAtLeast: 20,
  heartRateSustainedReadings: 2,
  /** Two or more weekly doses missed: no dose logged for this many days after the last one. */
  missedDosesAfterDays: 21,
} as const;

/** Crisis instructions shown to the patient right away. */
export const CRISIS_INSTRUCTIONS: Partial<Record<AlertKind, string>> = {
  suicidal_ideation: "If you are thinking about harming yourself, call or text 988 (Suicide & Crisis Lifeline) now. If you are in danger, call 911.",
  anaphylaxis: "Swelling of the face or throat or trouble breathing can be a severe allergic reaction: call 911 now.",
  pancreatitis: "Severe stomach pain that does not go away can be serious: stop your GLP-1 dose and seek urgent care now.",
  gallbladder: "Pain in the upper right belly with fever or yellow skin or eyes needs urgent care: go to urgent care or an emergency department now.",
  hypoglycemia_level2: "Your glucose is very low: take 15 g of fast-acting sugar now, recheck in 15 minutes, and call 911 if you feel confused or faint.",
  hypertensive_crisis: "Your blood pressure is very high: if you have chest pain, shortness of breath, weakness or vision changes, call 911.",
};

export const SEVERITY_RANK: Record<AlertSeverity, number> = { urgent: 0, high: 1, medium: 2 };
