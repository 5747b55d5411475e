import { z } from "zod";
import { DRUGS, type DrugName } from "./drugs.js";
import { PLAUSIBLE } from "./metrics.js";
import type { AlertKind, AlertSeverity } from "./redFlags.js";

/**
 * GLP-1 eligibility intake: the questionnaire as data, the schema built from it, and the
 * eligibility rules (CLINICAL.md, "Eligibility intake"). The rules flag; a physician
 * decides — every submission opens an `intake_review` task whatever the result.
 * Sources: Wegovy (semaglutide) and Zepbound (tirzepatide) prescribing information,
 * sections 1 (Indications), 4 (Contraindications), 5 (Warnings and Precautions), 7 (Drug
 * interactions), 8.1 (Pregnancy). Check current labels (DailyMed) before treating any
 * value as final.
 */

/** Bump on any change to items, codes or rules; each stored intake keeps the version it was answered on. */
export const INTAKE_QUESTIONNAIRE_VERSION = "2026-12-glp1-v1";

export const INTAKE_ITEM_TYPES = ["number", "boolean", "single", "multi", "text", "date"] as const;
export type IntakeItemType = (typeof INTAKE_ITEM_TYPES)[number];

export interface IntakeOption {
  /** Stable code: stored, and read by the rules. Never reuse a code for another meaning. */
  code: string;
  label: string;
}

export interface IntakeItem {
  /** Stable id: the key in `answers`. */
  id: string;
  section: "about" | "body" | "health" | "pregnancy" | "mental_health" | "plans";
  type: IntakeItemType;
  label: string;
  help?: string;
  required: boolean;
  unit?: string;
  /** single / multi: the choices (multi: any number of them, each at most once, none allowed). */
  options?: readonly IntakeOption[];
  /** number: inclusive bounds. date: ISO dates (YYYY-MM-DD), or "today". */
  min?: number | string;
  max?: number | string;
  /** text: longest answer in characters. */
  maxLength?: number;
}

/** Height bounds (cm): outside them an answer is an entry error (cf. PLAUSIBLE for readings). */
export const INTAKE_HEIGHT_CM = [100, 250] as const;
/** Weight bounds (kg): the same plausible range as weight readings. */
export const INTAKE_WEIGHT_KG = PLAUSIBLE.weightKg;

/**
 * Weight-related conditions that lower the BMI threshold to 27 (CLINICAL.md; Wegovy and
 * Zepbound PI section 1: "at least one weight-related comorbid condition").
 */
export const WEIGHT_RELATED_CONDITIONS = ["hypertension", "dyslipidemia", "type2_diabetes", "sleep_apnea", "cardiovascular_disease"] as const;

const CONDITION_OPTIONS = [
  { code: "hypertension", label: "High blood pressure" },
  { code: "dyslipidemia", label: "High cholesterol or triglycerides" },
  { code: "type2_diabetes", label: "Type 2 diabetes" },
  { code: "sleep_apnea", label: "Obstructive sleep apnea" },
  { code: "cardiovascular_disease", label: "Heart disease, heart attack or stroke" },
  { code: "diabetic_retinopathy", label: "Diabetic eye disease (retinopathy)" },
  { code: "kidney_disease", label: "Kidney disease" },
  { code: "gallbladder_disease", label: "Gallbladder disease or gallstones" },
  { code: "depression", label: "Depression" },
] as const;

/** Exactly the contract's codes (CONTRACT.md, `POST /api/intake`). */
const CONTRAINDICATION_OPTIONS = [
  { code: "mtc_men2", label: "You or a family member have had medullary thyroid cancer, or you have MEN2" },
  { code: "hypersensitivity", label: "A serious allergic reaction to semaglutide, tirzepatide or a similar medicine" },
  { code: "pregnancy", label: "Pregnant, breastfeeding, or planning a pregnancy" },
  { code: "type1_diabetes", label: "Type 1 diabetes" },
  { code: "pancreatitis", label: "Pancreatitis (inflamed pancreas), ever" },
  { code: "suicidal", label: "Thoughts of suicide now, or a suicide attempt in the past" },
  { code: "other_glp1", label: "Already taking another GLP-1 medicine (compounded included)" },
] as const;

const MEDICATION_OPTIONS = [
  { code: "insulin", label: "Insulin" },
  { code: "sulfonylurea", label: "A sulfonylurea (glipizide, glyburide, glimepiride)" },
  { code: "oral_contraceptive", label: "Birth control pills" },
  { code: "other", label: "Other prescription medicines" },
] as const;

const PREGNANCY_OPTIONS = [
  { code: "pregnant", label: "Pregnant" },
  { code: "breastfeeding", label: "Breastfeeding" },
  { code: "planning_pregnancy", label: "Planning a pregnancy in the next 2 months" },
] as const;

/** PHQ-2 answer scale (Kroenke, Spitzer, Williams, Med Care 2003): each item scores 0–3. */
const PHQ2_OPTIONS = [
  { code: "not_at_all", label: "Not at all" },
  { code: "several_days", label: "Several days" },
  { code: "more_than_half", label: "More than half the days" },
  { code: "nearly_every_day", label: "Nearly every day" },
] as const;
export const PHQ2_SCORE: Readonly<Record<(typeof PHQ2_OPTIONS)[number]["code"], number>> = {
  not_at_all: 0,
  several_days: 1,
  more_than_half: 2,
  nearly_every_day: 3,
};
/** PHQ-2 total at or above which the screen is positive for depression (Kroenke 2003). */
export const PHQ2_POSITIVE_AT_LEAST = 3;

const DRUG_OPTIONS = [
  { code: "semaglutide", label: `${DRUGS.semaglutide.brand} (semaglutide)` },
  { code: "tirzepatide", label: `${DRUGS.tirzepatide.brand} (tirzepatide)` },
] as const satisfies readonly { code: DrugName; label: string }[];

/**
 * The questionnaire. Only the items the contract names are required (heightCm, weightKg,
 * conditions, contraindications, medications); the rest refine the picture and, when
 * answered, feed the same rules (a "yes" to a pregnancy or suicide question counts as
 * that contraindication).
 */
export const INTAKE_ITEMS = [
  { id: "dateOfBirth", section: "about", type: "date", label: "Date of birth", required: false, min: "1900-01-01", max: "today" },
  {
    id: "sexAtBirth",
    section: "about",
    type: "single",
    label: "Sex assigned at birth",
    required: false,
    options: [
      { code: "female", label: "Female" },
      { code: "male", label: "Male" },
      { code: "intersex", label: "Intersex" },
    ],
  },
  { id: "heightCm", section: "body", type: "number", label: "Height", unit: "cm", required: true, min: INTAKE_HEIGHT_CM[0], max: INTAKE_HEIGHT_CM[1] },
  { id: "weightKg", section: "body", type: "number", label: "Weight", unit: "kg", required: true, min: INTAKE_WEIGHT_KG[0], max: INTAKE_WEIGHT_KG[1] },
  {
    id: "conditions",
    section: "health",
    type: "multi",
    label: "Do you have any of these conditions?",
    help: "Choose all that apply, or none.",
    required: true,
    options: CONDITION_OPTIONS,
  },
  {
    id: "contraindications",
    section: "health",
    type: "multi",
    label: "Do any of these apply to you?",
    help: "Choose all that apply, or none.",
    required: true,
    options: CONTRAINDICATION_OPTIONS,
  },
  {
    id: "medications",
    section: "health",
    type: "multi",
    label: "Do you take any of these medicines?",
    help: "Choose all that apply, or none.",
    required: true,
    options: MEDICATION_OPTIONS,
  },
  {
    // Free text is for the physician to read; the eligibility rules never parse it.
    id: "otherMedications",
    section: "health",
    type: "text",
    label: "Other medicines you take (name and dose)",
    required: false,
    maxLength: 1000,
  },
  {
    id: "pregnancyStatus",
    section: "pregnancy",
    type: "multi",
    label: "Are you pregnant, breastfeeding, or planning a pregnancy?",
    help: "Choose all that apply, or none.",
    required: false,
    options: PREGNANCY_OPTIONS,
  },
  {
    id: "phq2Interest",
    section: "mental_health",
    type: "single",
    label: "Over the last 2 weeks, how often have you had little interest or pleasure in doing things?",
    required: false,
    options: PHQ2_OPTIONS,
  },
  {
    id: "phq2Mood",
    section: "mental_health",
    type: "single",
    label: "Over the last 2 weeks, how often have you felt down, depressed or hopeless?",
    required: false,
    options: PHQ2_OPTIONS,
  },
  {
    id: "suicidalThoughts",
    section: "mental_health",
    type: "boolean",
    label: "In the last month, have you had thoughts of ending your life or harming yourself?",
    help: "If you are thinking about harming yourself, call or text 988 now.",
    required: false,
  },
  { id: "suicideAttempt", section: "mental_health", type: "boolean", label: "Have you ever attempted suicide?", required: false },
  {
    id: "plannedSurgery",
    section: "plans",
    type: "boolean",
    label: "Do you have surgery or a procedure with sedation or anesthesia planned in the next 3 months?",
    required: false,
  },
  {
    id: "drug",
    section: "plans",
    type: "single",
    label: "Which medicine are you considering?",
    help: "Optional: your physician decides.",
    required: false,
    options: DRUG_OPTIONS,
  },
] as const satisfies readonly IntakeItem[];

export interface IntakeQuestionnaire {
  version: string;
  items: readonly IntakeItem[];
}

export const INTAKE_QUESTIONNAIRE: IntakeQuestionnaire = { version: INTAKE_QUESTIONNAIRE_VERSION, items: INTAKE_ITEMS };

type Item = (typeof INTAKE_ITEMS)[number];
type CodesOf<I> = I extends { options: readonly (infer O)[] } ? (O extends { code: infer C } ? C : never) : never;
type AnswerOf<I> = I extends { type: "number" }
  ? number
  : I extends { type: "boolean" }
    ? boolean
    : I extends { type: "text" | "date" }
      ? string
      : I extends { type: "single" }
        ? CodesOf<I>
        : I extends { type: "multi" }
          ? CodesOf<I>[]
          : never;

/** Answers keyed by item id, typed from the definition itself. */
export type IntakeAnswers = { [I in Item as I["required"] extends true ? I["id"] : never]: AnswerOf<I> } & {
  [I in Item as I["required"] extends true ? never : I["id"]]?: AnswerOf<I>;
};

export type ConditionCode = (typeof CONDITION_OPTIONS)[number]["code"];
export type ContraindicationCode = (typeof CONTRAINDICATION_OPTIONS)[number]["code"];
export type MedicationCode = (typeof MEDICATION_OPTIONS)[number]["code"];
export const CONTRAINDICATION_CODES = CONTRAINDICATION_OPTIONS.map((o) => o.code) as ContraindicationCode[];

const todayIso = () => new Date().toISOString().slice(0, 10);
const isoBound = (b: number | string | undefined, fallback: string) => (b === undefined ? fallback : b === "today" ? todayIso() : String(b));

/** The zod schema for one item, from its definition. */
function itemSchema(item: IntakeItem): z.ZodType {
  switch (item.type) {
    case "number": {
      let s = z.number();
      if (typeof item.min === "number") s = s.min(item.min, { message: `must be at least ${item.min}` });
      if (typeof item.max === "number") s = s.max(item.max, { message: `must be at most ${item.max}` });
      return s;
    }
    case "boolean":
      return z.boolean();
    case "single":
      return z.enum((item.options ?? []).map((o) => o.code) as [string, ...string[]]);
    case "multi": {
      const codes = (item.options ?? []).map((o) => o.code) as [string, ...string[]];
      return z
        .array(z.enum(codes))
        .max(codes.length)
        .refine((xs) => new Set(xs).size === xs.length, { message: "must not repeat a choice" });
    }
    case "text":
      return z.string().trim().max(item.maxLength ?? 500);
    case "date":
      return z.iso.date().refine((d) => d >= isoBound(item.min, "0000-01-01") && d <= isoBound(item.max, "9999-12-31"), {
        message: "is out of range",
      });
  }
}

/** `answers` keyed by item id: unknown ids refused, each value strictly of its item's type. */
export const intakeAnswersSchema = z.strictObject(
  Object.fromEntries(INTAKE_ITEMS.map((i) => [i.id, i.required ? itemSchema(i) : itemSchema(i).optional()])),
) as unknown as z.ZodType<IntakeAnswers>;

export const intakeSubmissionSchema = z.strictObject({ answers: intakeAnswersSchema });
export type IntakeSubmission = z.infer<typeof intakeSubmissionSchema>;

/** `:version` in `GET /api/patients/:id/intake/:version`. */
export const intakeVersionParamSchema = z
  .string()
  .regex(/^[1-9]\d{0,5}$/, { message: "must be a version number" })
  .transform(Number);

// ---------------------------------------------------------------------------------------
// Eligibility rules

export const ELIGIBILITY_STATUSES = ["eligible", "needs_review", "not_eligible"] as const;
export type EligibilityStatus = (typeof ELIGIBILITY_STATUSES)[number];

/**
 * Hard stops: not eligible without physician review (CLINICAL.md). Each is a contraindication
 * code; the supplementary questions map onto the same codes.
 * - mtc_men2: personal/family history of medullary thyroid carcinoma or MEN2 — boxed warning, PI section 4.
 * - hypersensitivity: serious hypersensitivity to the drug — PI section 4.
 * - pregnancy: pregnancy, breastfeeding or planned pregnancy — PI 8.1/8.2 (discontinue ≥ 2 months
 *   before a planned pregnancy for semaglutide).
 * - type1_diabetes: not studied / not for type 1 — PI section 1, limitations of use.
 * - pancreatitis: history of pancreatitis — PI 5.x (not studied in patients with a history).
 * - suicidal: active suicidal ideation or a past attempt — PI 5.x, suicidal behavior and ideation.
 * - other_glp1: already on another GLP-1 (compounded included) — PI section 1, limitations of use.
 */
export const HARD_STOPS = CONTRAINDICATION_CODES;

/** Below the indication's BMI threshold (CLINICAL.md; PI section 1). */
export const BMI_BELOW_THRESHOLD = "bmi_below_threshold";

/**
 * Soft flags: eligible, but the physician must look (status needs_review). Sources:
 * - insulin_or_sulfonylurea: hypoglycemia risk with insulin secretagogues or insulin — PI 5.x / 7.
 * - oral_contraceptive_with_tirzepatide: tirzepatide lowers oral contraceptive exposure after
 *   starting and each escalation — Zepbound PI 7.2 (advise a non-oral or back-up method).
 * - diabetic_retinopathy: complications of diabetic retinopathy — PI 5.x.
 * - kidney_disease: acute kidney injury from dehydration — PI 5.x.
 * - gallbladder_disease: acute gallbladder disease — PI 5.x.
 * - depression: monitor for depression and suicidal thoughts — PI 5.x.
 * - planned_surgery: pulmonary aspiration during general anesthesia or deep sedation — PI 5.x.
 * - age_under_18 (added here, not in CLINICAL.md): the adult BMI cut-offs do not apply to
 *   adolescents (Wegovy PI section 1 uses the ≥ 95th BMI percentile at 12–17; Zepbound is for adults).
 */
export const SOFT_FLAGS = [
  "insulin_or_sulfonylurea",
  "oral_contraceptive_with_tirzepatide",
  "diabetic_retinopathy",
  "kidney_disease",
  "gallbladder_disease",
  "depression",
  "planned_surgery",
  "age_under_18",
] as const;

/** Every reason code `evaluateEligibility` can give, in the order it lists them. */
export const ELIGIBILITY_REASONS: readonly EligibilityReason[] = [...HARD_STOPS, BMI_BELOW_THRESHOLD, ...SOFT_FLAGS];
export type EligibilityReason = ContraindicationCode | typeof BMI_BELOW_THRESHOLD | (typeof SOFT_FLAGS)[number];

/** Indication: BMI ≥ 30, or ≥ 27 with a weight-related condition (CLINICAL.md; Wegovy/Zepbound PI section 1). */
export const BMI_THRESHOLD = 30;
export const BMI_THRESHOLD_WITH_CONDITION = 27;
export const ADULT_AGE = 18;

export interface EligibilityResult {
  /** kg/m², one decimal; the thresholds are applied to this rounded value, the one the physician sees. */
  bmi: number;
  status: EligibilityStatus;
  /** Hard stops first, then the BMI reason, then soft flags, in definition order. */
  reasons: EligibilityReason[];
}

/** BMI (kg/m²) to one decimal. */
export function bmiOf(heightCm: number, weightKg: number): number {
  const m = heightCm / 100;
  return Math.round((weightKg / (m * m)) * 10) / 10;
}

/** Whole years from an ISO date of birth to `asOf` (UTC calendar dates). */
export function ageOn(dateOfBirth: string, asOf: Date): number {
  const [y, mo, d] = dateOfBirth.split("-").map(Number) as [number, number, number];
  const age = asOf.getUTCFullYear() - y;
  const beforeBirthday = asOf.getUTCMonth() + 1 < mo || (asOf.getUTCMonth() + 1 === mo && asOf.getUTCDate() < d);
  return beforeBirthday ? age - 1 : age;
}

/**
 * The eligibility rules, pure: the same function previews on the client and decides on
 * the server (the server's result is the one stored). Free text is never read.
 */
export function evaluateEligibility(answers: IntakeAnswers, asOf: Date = new Date()): EligibilityResult {
  const conditions = new Set<ConditionCode>(answers.conditions);
  const medications = new Set<MedicationCode>(answers.medications);
  const stops = new Set<ContraindicationCode>(answers.contraindications);
  if ((answers.pregnancyStatus ?? []).length > 0) stops.add("pregnancy");
  if (answers.suicidalThoughts === true || answers.suicideAttempt === true) stops.add("suicidal");

  const bmi = bmiOf(answers.heightCm, answers.weightKg);
  const hasWeightCondition = WEIGHT_RELATED_CONDITIONS.some((c) => conditions.has(c));
  const indicated = bmi >= BMI_THRESHOLD || (bmi >= BMI_THRESHOLD_WITH_CONDITION && hasWeightCondition);

  const phq2 =
    answers.phq2Interest !== undefined && answers.phq2Mood !== undefined ? PHQ2_SCORE[answers.phq2Interest] + PHQ2_SCORE[answers.phq2Mood] : 0;
  const flags: Record<(typeof SOFT_FLAGS)[number], boolean> = {
    insulin_or_sulfonylurea: medications.has("insulin") || medications.has("sulfonylurea"),
    // Flagged unless semaglutide was chosen: with no choice made, tirzepatide is still possible.
    oral_contraceptive_with_tirzepatide: medications.has("oral_contraceptive") && answers.drug !== "semaglutide",
    diabetic_retinopathy: conditions.has("diabetic_retinopathy"),
    kidney_disease: conditions.has("kidney_disease"),
    gallbladder_disease: conditions.has("gallbladder_disease"),
    depression: conditions.has("depression") || phq2 >= PHQ2_POSITIVE_AT_LEAST,
    planned_surgery: answers.plannedSurgery === true,
    age_under_18: answers.dateOfBirth !== undefined && ageOn(answers.dateOfBirth, asOf) < ADULT_AGE,
  };

  const hard: EligibilityReason[] = HARD_STOPS.filter((c) => stops.has(c));
  if (!indicated) hard.push(BMI_BELOW_THRESHOLD);
  const soft = SOFT_FLAGS.filter((f) => flags[f]);
  const status: EligibilityStatus = hard.length > 0 ? "not_eligible" : soft.length > 0 ? "needs_review" : "eligible";
  return { bmi, status, reasons: [...hard, ...soft] };
}

/** Intake answers that are red flags for the care team now (CLINICAL.md, "Red flags"). */
export const INTAKE_RED_FLAGS: Partial<Record<EligibilityReason, { kind: AlertKind; severity: AlertSeverity }>> = {
  // Suicidal thoughts: urgent, and the patient is shown the 988 crisis line.
  suicidal: { kind: "suicidal_ideation", severity: "urgent" },
};

// ---------------------------------------------------------------------------------------
// API views

/** `POST /api/intake` → 201 `{intake, instructions}`. */
export interface IntakeSummary {
  id: string;
  /** Submission number for this patient: 1, 2, 3… */
  version: number;
  questionnaireVersion: string;
  createdAt: string;
  bmi: number;
  eligibility: { status: EligibilityStatus; reasons: EligibilityReason[] };
}

/** A stored intake with its answers (`GET /api/patients/:id/intake[/:version]`). */
export interface IntakeRecord extends IntakeSummary {
  patientId: string;
  answers: IntakeAnswers;
}

export interface IntakeVersionSummary {
  id: string;
  version: number;
  createdAt: string;
  status: EligibilityStatus;
}
