import { z } from "zod";
import { DRUG_NAMES } from "./drugs.js";

/**
 * Health metrics: kinds, units, conversions to the canonical unit, LOINC codes for export
 * (CLINICAL.md, "Metrics"), and the physiologically possible range of each value — a
 * reading outside it is refused as an entry error, not stored.
 */
export const METRIC_KINDS = ["weight", "waist", "bp", "heart_rate", "glucose", "hba1c", "gi", "dose", "phq9", "symptom"] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** lb → kg (exact by definition of the international pound). */
export const KG_PER_LB = 0.45359237;
/** in → cm (exact). */
export const CM_PER_IN = 2.54;
/** Glucose mmol/L → mg/dL (molar mass of glucose 180.16 g/mol; CLINICAL.md ×18.016). */
export const MGDL_PER_MMOLL = 18.016;

export const LOINC = {
  weight: { code: "29463-7", display: "Body weight" },
  height: { code: "8302-2", display: "Body height" },
  bmi: { code: "39156-5", display: "Body mass index (BMI) [Ratio]" },
  waist: { code: "8280-0", display: "Waist Circumference at umbilicus by Tape measure" },
  bpPanel: { code: "85354-9", display: "Blood pressure panel with all children optional" },
  systolic: { code: "8480-6", display: "Systolic blood pressure" },
  diastolic: { code: "8462-4", display: "Diastolic blood pressure" },
  heart_rate: { code: "8867-4", display: "Heart rate" },
  glucose: { code: "2339-0", display: "Glucose [Mass/volume] in Blood" },
  hba1c: { code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood" },
  phq9: { code: "44261-6", display: "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]" },
} as const;

/** Canonical unit per kind (what is stored in `value`/`unit`). */
export const CANONICAL_UNIT: Record<MetricKind, string> = {
  weight: "kg",
  waist: "cm",
  bp: "mmHg",
  heart_rate: "/min",
  glucose: "mg/dL",
  hba1c: "%",
  gi: "score",
  dose: "mg",
  phq9: "score",
  symptom: "code",
};

/** Possible values (canonical units). Outside these a reading is an entry error. */
export const PLAUSIBLE = {
  weightKg: [20, 400],
  waistCm: [40, 250],
  systolic: [50, 300],
  diastolic: [20, 200],
  heartRate: [20, 250],
  glucoseMgdl: [10, 1000],
  hba1cPct: [3, 20],
} as const;

export const GI_SYMPTOMS = ["nausea", "vomiting", "diarrhea", "constipation", "abdominal_pain"] as const;
export const INJECTION_SITES = ["abdomen", "thigh", "upper_arm"] as const;

/** Symptom reports that are red flags on their own (CLINICAL.md, "Red flags"). */
export const SYMPTOM_CODES = [
  "ruq_pain_fever_jaundice",
  "face_throat_swelling",
  "trouble_breathing",
  "neck_lump",
  "trouble_swallowing",
  "hoarseness",
  "little_urine",
  "suicidal_thoughts",
] as const;

/** How far in the future an observation time may be (clock skew), in ms. */
export const FUTURE_SKEW_MS = 5 * 60_000;

const observedAt = z.iso.datetime({ offset: true });
const score010 = z.number().int().min(0).max(10);

export const readingInputSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("weight"), value: z.number().finite(), unit: z.enum(["kg", "lb"]), observedAt }),
  z.strictObject({ kind: z.literal("waist"), value: z.number().finite(), unit: z.enum(["cm", "in"]), observedAt }),
  z.strictObject({
    kind: z.literal("bp"),
    value: z.strictObject({ systolic: z.number().int(), diastolic: z.number().int() }),
    unit: z.literal("mmHg"),
    observedAt,
  }),
  z.strictObject({ kind: z.literal("heart_rate"), value: z.number().int(), unit: z.enum(["/min", "bpm"]), observedAt }),
  z.strictObject({ kind: z.literal("glucose"), value: z.number().finite(), unit: z.enum(["mg/dL", "mmol/L"]), observedAt }),
  z.strictObject({ kind: z.literal("hba1c"), value: z.number().finite(), unit: z.literal("%"), observedAt }),
  z.strictObject({
    kind: z.literal("gi"),
    value: z.strictObject({ nausea: score010, vomiting: score010, diarrhea: score010, constipation: score010, abdominal_pain: score010 }),
    unit: z.literal("score").optional().default("score"),
    observedAt,
  }),
  z.strictObject({
    kind: z.literal("dose"),
    value: z.strictObject({ drug: z.enum(DRUG_NAMES), mg: z.number().positive(), site: z.enum(INJECTION_SITES) }),
    unit: z.literal("mg").optional().default("mg"),
    observedAt,
  }),
  z.strictObject({
    kind: z.literal("phq9"),
    // The total score, or the total with item 9 (thoughts of self-harm, 0-3).
    value: z.union([z.number().int().min(0).max(27), z.strictObject({ score: z.number().int().min(0).max(27), item9: z.number().int().min(0).max(3) })]),
    unit: z.literal("score").optional().default("score"),
    observedAt,
  }),
  z.strictObject({
    kind: z.literal("symptom"),
    value: z.strictObject({ codes: z.array(z.enum(SYMPTOM_CODES)).min(1).max(SYMPTOM_CODES.length) }),
    unit: z.literal("code").optional().default("code"),
    observedAt,
  }),
]);
export type ReadingInput = z.infer<typeof readingInputSchema>;

export const MAX_READINGS_PER_REQUEST = 100;
export const reportMetricsSchema = z.strictObject({
  readings: z.array(readingInputSchema).min(1).max(MAX_READINGS_PER_REQUEST),
  /** Optional idempotency key for a retried report: the same key returns the first result. */
  requestId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
});
export type ReportMetricsInput = z.infer<typeof reportMetricsSchema>;

export const metricsQuerySchema = z.strictObject({
  kind: z.enum(METRIC_KINDS).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export type MetricsQuery = z.infer<typeof metricsQuerySchema>;

export type ReadingValue =
  | number
  | { systolic: number; diastolic: number }
  | Record<(typeof GI_SYMPTOMS)[number], number>
  | { drug: (typeof DRUG_NAMES)[number]; mg: number; site: (typeof INJECTION_SITES)[number] }
  | { score: number; item9: number | null }
  | { codes: string[] };

export interface Reading {
  id: string;
  patientId: string;
  kind: MetricKind;
  value: ReadingValue;
  unit: string;
  observedAt: string;
  entered: { value: ReadingValue; unit: string };
  createdAt: string;
}
