/**
 * The metric logging form's pure parts: form fields → a reading checked by the shared
 * schema, and error messages for people (from the schema's bounds or the server's field
 * paths, never from the values typed).
 */
import {
  ACTIVE_HISTORY_STATUSES,
  CANONICAL_UNIT,
  DRUGS,
  GI_SYMPTOMS,
  currentDose,
  readingInputSchema,
  type DrugName,
  type MetricKind,
  type PrescriptionStatus,
  type PrescriptionView,
  type ReadingInput,
} from "@glp1/shared";

export const LOGGABLE_KINDS: readonly MetricKind[] = ["weight", "waist", "bp", "heart_rate", "glucose", "hba1c", "gi", "dose", "phq9", "symptom"];

export const UNIT_CHOICES: Partial<Record<MetricKind, readonly string[]>> = {
  weight: ["kg", "lb"],
  waist: ["cm", "in"],
  glucose: ["mg/dL", "mmol/L"],
};

export interface MetricFormState {
  kind: MetricKind;
  value: string;
  unit: Record<string, string>;
  systolic: string;
  diastolic: string;
  gi: Record<string, number>;
  drug: DrugName;
  mg: string;
  site: string;
  phq9Score: string;
  phq9Item9: string;
  symptoms: string[];
  /** `datetime-local` text, local time. */
  observedAt: string;
}

/** The dose fields' values: a drug and one of its ladder steps, as the select holds it. */
export interface DoseChoice {
  drug: DrugName;
  mg: string;
}

/** Without a prescription: the first step of the first drug. */
export const FALLBACK_DOSE: DoseChoice = { drug: "semaglutide", mg: String(DRUGS.semaglutide.steps[0]) };

/**
 * The drug and dose of the patient's current prescription, to preselect in "Dose taken":
 * the most recently signed one that is still in force (signed, sent or filled — the same
 * history the server's titration ladder reads). Null with none, or with a dose that is
 * not one of the form's choices.
 */
export function prescribedDose(prescriptions: readonly Pick<PrescriptionView, "drug" | "doseMg" | "status" | "signedAt">[]): DoseChoice | null {
  const inForce = (s: PrescriptionStatus) => (ACTIVE_HISTORY_STATUSES as readonly PrescriptionStatus[]).includes(s);
  const history = prescriptions.flatMap((p) => (p.signedAt && inForce(p.status) ? [{ drug: p.drug, doseMg: p.doseMg, signedAt: p.signedAt }] : []));
  const current = currentDose(history);
  if (!current || !(current.drug in DRUGS)) return null;
  const step = DRUGS[current.drug].steps.find((mg) => Math.abs(mg - current.doseMg) < 1e-9);
  return step === undefined ? null : { drug: current.drug, mg: String(step) };
}

export function initialMetricForm(observedAt: string, dose: DoseChoice = FALLBACK_DOSE): MetricFormState {
  return {
    kind: "weight",
    value: "",
    unit: { weight: "kg", waist: "cm", glucose: "mg/dL" },
    systolic: "",
    diastolic: "",
    gi: Object.fromEntries(GI_SYMPTOMS.map((s) => [s, 0])),
    drug: dose.drug,
    mg: dose.mg,
    site: "abdomen",
    phq9Score: "",
    phq9Item9: "",
    symptoms: [],
    observedAt,
  };
}

/** A typed decimal, with a point or a comma ("84,1"); NaN for anything else. Shared with the intake form. */
export const parseDecimal = (raw: string): number => {
  const t = raw.trim().replace(",", ".");
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
};
const num = parseDecimal;

/** Form → a reading as sent (before the schema), with the observation time as ISO. */
export function draftReading(f: MetricFormState): Record<string, unknown> {
  const when = f.observedAt ? new Date(f.observedAt) : null;
  const observedAt = when && !Number.isNaN(when.getTime()) ? when.toISOString() : "";
  const base = { kind: f.kind, observedAt };
  switch (f.kind) {
    case "weight":
    case "waist":
    case "glucose":
      return { ...base, value: num(f.value), unit: f.unit[f.kind] };
    case "heart_rate":
      return { ...base, value: num(f.value), unit: "/min" };
    case "hba1c":
      return { ...base, value: num(f.value), unit: "%" };
    case "bp":
      return { ...base, value: { systolic: num(f.systolic), diastolic: num(f.diastolic) }, unit: "mmHg" };
    case "gi":
      return { ...base, value: { ...f.gi }, unit: "score" };
    case "dose":
      return { ...base, value: { drug: f.drug, mg: num(f.mg), site: f.site }, unit: "mg" };
    case "phq9":
      return { ...base, value: { score: num(f.phq9Score), item9: f.phq9Item9 === "" ? Number.NaN : Number(f.phq9Item9) }, unit: "score" };
    case "symptom":
      return { ...base, value: { codes: [...f.symptoms] }, unit: "code" };
  }
}

interface Issue {
  code: string;
  path: readonly PropertyKey[];
  expected?: unknown;
  minimum?: unknown;
  maximum?: unknown;
}

/** One field's message from a schema issue. */
export function issueMessage(field: string, issue: Issue): string {
  if (field === "observedAt") return "Enter the date and time.";
  if (field === "value.codes") return "Tick at least one symptom.";
  if (field === "value.item9") return "Choose an answer for question 9.";
  if (issue.code === "invalid_type") return issue.expected === "int" ? "Enter a whole number." : "Enter a number.";
  if (issue.code === "too_small" || issue.code === "too_big") {
    if (field === "value.score") return "Enter a total from 0 to 27.";
    if (typeof issue.minimum === "number" && typeof issue.maximum === "number") return `Enter a value from ${issue.minimum} to ${issue.maximum}.`;
    return issue.code === "too_small" ? "This value is too small." : "This value is too large.";
  }
  return "Check this value.";
}

export type ReadingCheck = { ok: true; reading: ReadingInput } | { ok: false; errors: Record<string, string> };

/** The shared schema on the form, plus "not in the future" (the server allows 5 minutes of clock skew). */
export function checkReading(f: MetricFormState, now = Date.now()): ReadingCheck {
  const draft = draftReading(f);
  const errors: Record<string, string> = {};
  const parsed = readingInputSchema.safeParse(draft);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join(".") || "value";
      if (!errors[field]) errors[field] = issueMessage(field, issue as unknown as Issue);
    }
  }
  if (typeof draft.observedAt === "string" && draft.observedAt && Date.parse(draft.observedAt) > now + 60_000) {
    errors.observedAt = "The time cannot be in the future.";
  }
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, reading: parsed.data };
}

/**
 * The server's 400 for a report (`fields: ["readings.0.value"]`, message
 * `readings.0.value is outside the possible range (20–400)`) as per-field messages.
 * The message never carries values; the path prefix is dropped and the canonical unit added.
 */
export function serverFieldErrors(kind: MetricKind, fields: readonly string[] | undefined, message: string): Record<string, string> {
  const out: Record<string, string> = {};
  const detail = message
    .replace(/^invalid input \(/, "")
    .replace(/\)$/, "")
    .replace(/^readings\.\d+\.[\w.]*?(\.(?=\w))?[\w.]*:?\s*/, "")
    .trim();
  const range = /possible range \(([^)]+)\)/.exec(message);
  let text: string;
  if (range) text = `Outside the possible range (${range[1]} ${CANONICAL_UNIT[kind]}).`;
  else if (/future/.test(message)) text = "The time cannot be in the future.";
  else if (/too old/.test(message)) text = "The time is too far in the past.";
  else if (/diastolic must be below systolic/.test(message)) text = "The lower number must be below the upper number.";
  else if (/not a dose of/.test(message)) text = "That is not a dose of this medicine.";
  else if (/item9 exceeds/.test(message)) text = "Question 9 cannot score more than the total.";
  else text = detail ? `${detail.charAt(0).toUpperCase()}${detail.slice(1)}.` : "Check this value.";
  for (const f of fields ?? []) {
    const field = f.replace(/^readings\.\d+\./, "");
    out[field] = text;
  }
  if (Object.keys(out).length === 0) out.form = text;
  return out;
}
