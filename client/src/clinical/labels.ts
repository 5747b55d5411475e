/**
 * Plain-language labels for the clinical codes the server and `@glp1/shared` use, and
 * display helpers for readings. Codes stay codes on the wire; people see these.
 */
import {
  DRUGS,
  type AlertKind,
  type AlertSeverity,
  type DrugName,
  type EligibilityReason,
  type EligibilityStatus,
  type MetricKind,
  type PrescriptionStatus,
  type Reading,
  type TitrationKind,
  type TitrationRule,
} from "@glp1/shared";

export const SECTION_TITLES: Record<string, string> = {
  about: "About you",
  body: "Height and weight",
  health: "Your health",
  pregnancy: "Pregnancy",
  mental_health: "Mood",
  plans: "Plans",
};

export const ELIGIBILITY_LABELS: Record<EligibilityStatus, string> = {
  eligible: "Meets the criteria",
  needs_review: "Needs physician review",
  not_eligible: "Not eligible without physician review",
};

export const REASON_LABELS: Record<EligibilityReason, string> = {
  mtc_men2: "Personal or family history of medullary thyroid cancer, or MEN2",
  hypersensitivity: "Serious allergic reaction to a GLP-1 medicine",
  pregnancy: "Pregnant, breastfeeding or planning a pregnancy",
  type1_diabetes: "Type 1 diabetes",
  pancreatitis: "History of pancreatitis",
  suicidal: "Thoughts of suicide, or a past attempt",
  other_glp1: "Already taking another GLP-1 medicine",
  bmi_below_threshold: "BMI below the treatment threshold (30, or 27 with a weight-related condition)",
  insulin_or_sulfonylurea: "Takes insulin or a sulfonylurea (risk of low blood sugar)",
  oral_contraceptive_with_tirzepatide: "Birth control pills (less reliable with tirzepatide)",
  diabetic_retinopathy: "Diabetic eye disease",
  kidney_disease: "Kidney disease",
  gallbladder_disease: "Gallbladder disease",
  depression: "Depression, or a positive mood screen",
  planned_surgery: "Surgery or sedation planned",
  age_under_18: "Younger than 18",
};

export const reasonLabel = (code: string): string => REASON_LABELS[code as EligibilityReason] ?? code;

export const ALERT_LABELS: Record<AlertKind, string> = {
  pancreatitis: "Severe abdominal pain (possible pancreatitis)",
  gallbladder: "Gallbladder warning signs",
  hypoglycemia_level2: "Very low glucose (below 54 mg/dL)",
  hypoglycemia_level1: "Low glucose (below 70 mg/dL)",
  hypertensive_crisis: "Very high blood pressure",
  dehydration: "Severe vomiting or diarrhea (dehydration risk)",
  suicidal_ideation: "Suicidal thoughts",
  anaphylaxis: "Possible severe allergic reaction",
  thyroid: "Neck lump, trouble swallowing or hoarseness",
  rapid_weight_loss: "Rapid weight loss",
  heart_rate_rise: "Resting heart rate rise",
  missed_doses: "Missed doses",
  break_glass: "Emergency access (break-glass)",
};

export const alertLabel = (kind: string): string => ALERT_LABELS[kind as AlertKind] ?? kind;

export const SEVERITY_LABELS: Record<AlertSeverity, string> = { urgent: "Urgent", high: "High", medium: "Medium" };

export const METRIC_LABELS: Record<MetricKind, string> = {
  weight: "Weight",
  waist: "Waist",
  bp: "Blood pressure",
  heart_rate: "Heart rate",
  glucose: "Glucose",
  hba1c: "HbA1c",
  gi: "Stomach symptoms",
  dose: "Dose taken",
  phq9: "Mood (PHQ-9)",
  symptom: "Symptoms",
};

export const GI_LABELS: Record<string, string> = {
  nausea: "Nausea",
  vomiting: "Vomiting",
  diarrhea: "Diarrhea",
  constipation: "Constipation",
  abdominal_pain: "Stomach pain",
};

export const SITE_LABELS: Record<string, string> = { abdomen: "Abdomen", thigh: "Thigh", upper_arm: "Upper arm" };

export const SYMPTOM_LABELS: Record<string, string> = {
  ruq_pain_fever_jaundice: "Pain in the upper right belly with fever, or yellow skin or eyes",
  face_throat_swelling: "Swelling of the face, lips or throat",
  trouble_breathing: "Trouble breathing",
  neck_lump: "A lump or swelling in the neck",
  trouble_swallowing: "Trouble swallowing",
  hoarseness: "Hoarse voice that does not go away",
  little_urine: "Passing very little urine",
  suicidal_thoughts: "Thoughts of harming yourself",
};

export const PHQ9_ITEM9_OPTIONS = [
  { value: 0, label: "Not at all" },
  { value: 1, label: "Several days" },
  { value: 2, label: "More than half the days" },
  { value: 3, label: "Nearly every day" },
] as const;

export const RX_STATUS_LABELS: Record<PrescriptionStatus, string> = {
  draft: "Draft",
  signed: "Signed",
  sent: "Sent to pharmacy",
  filled: "Filled",
  cancelled: "Cancelled",
};

export const TITRATION_KIND_LABELS: Record<TitrationKind, string> = {
  start: "start",
  hold: "same dose",
  escalate: "step up",
  decrease: "step down",
  switch: "switch drug",
};

export const TITRATION_RULE_LABELS: Record<TitrationRule, string> = {
  NOT_ON_LADDER: "The dose is not a step of the ladder",
  FIRST_STEP: "A new patient starts at the first step",
  SWITCH_DRUG: "Switching drug restarts at the first step",
  ONE_STEP: "Doses go up one step at a time",
  MIN_WEEKS: "A step up needs 4 weeks at the current dose",
};

export const drugLabel = (drug: DrugName | string): string => {
  const d = DRUGS[drug as DrugName];
  return d ? `${d.brand} (${d.name})` : drug;
};

export const formatMg = (mg: number): string => `${Number(mg.toFixed(2))} mg`;

const round = (n: number, places = 1) => String(Number(n.toFixed(places)));

/** A reading's value for people, in the unit the patient entered it (canonical as a fallback). */
export function formatReading(r: Pick<Reading, "kind" | "value" | "unit" | "entered">): string {
  const v = r.value as unknown;
  const entered = r.entered;
  switch (r.kind) {
    case "weight":
    case "waist":
    case "glucose": {
      if (entered && typeof entered.value === "number" && entered.unit !== r.unit) {
        return `${round(entered.value, 2)} ${entered.unit} (${round(v as number)} ${r.unit})`;
      }
      return `${round(v as number)} ${r.unit}`;
    }
    case "heart_rate":
      return `${v as number} /min`;
    case "hba1c":
      return `${round(v as number)} %`;
    case "bp": {
      const bp = v as { systolic: number; diastolic: number };
      return `${bp.systolic}/${bp.diastolic} mmHg`;
    }
    case "gi": {
      const gi = v as Record<string, number>;
      return Object.entries(gi)
        .map(([k, n]) => `${GI_LABELS[k] ?? k} ${n}`)
        .join(", ");
    }
    case "dose": {
      const d = v as { drug: string; mg: number; site: string };
      return `${d.drug} ${formatMg(d.mg)}, ${SITE_LABELS[d.site] ?? d.site}`;
    }
    case "phq9": {
      const p = v as { score: number; item9: number | null };
      return p.item9 === null || p.item9 === undefined ? `score ${p.score}` : `score ${p.score}, item 9: ${p.item9}`;
    }
    case "symptom": {
      const s = v as { codes: string[] };
      return s.codes.map((c) => SYMPTOM_LABELS[c] ?? c).join("; ");
    }
  }
}

/** "Mar 3, 14:05" (with the year when not this year). */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    ...(d.getFullYear() === new Date().getFullYear() ? {} : { year: "numeric" }),
    hour: "numeric",
    minute: "2-digit",
  });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" });
}

/** A `datetime-local` value for a moment, in local time. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
