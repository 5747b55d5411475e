/**
 * The intake form's state and its checks, kept apart from React so they can be tested:
 * form state ↔ answers, the shared zod schema's issues as messages for people (which
 * never repeat what was typed), and the eligibility preview.
 */
import {
  INTAKE_QUESTIONNAIRE,
  evaluateEligibility,
  intakeSubmissionSchema,
  type EligibilityResult,
  type IntakeAnswers,
  type IntakeItem,
} from "@glp1/shared";
import { parseDecimal } from "./metricForm.js";

/** number/text/date: the raw text; boolean: yes/no/unanswered; single: a code or ""; multi: codes, or null when unanswered ([] = "none of these"). */
export type FieldValue = string | boolean | null | string[];
export type IntakeFormState = Record<string, FieldValue>;

export const INTAKE_ITEMS_LIST: readonly IntakeItem[] = INTAKE_QUESTIONNAIRE.items;

export function emptyForm(): IntakeFormState {
  const state: IntakeFormState = {};
  for (const item of INTAKE_ITEMS_LIST) {
    state[item.id] = item.type === "boolean" || item.type === "multi" ? null : "";
  }
  return state;
}

/** A stored intake's answers as form state (to start a new version from the last one). */
export function formFromAnswers(answers: Partial<Record<string, unknown>>): IntakeFormState {
  const state = emptyForm();
  for (const item of INTAKE_ITEMS_LIST) {
    const a = answers[item.id];
    if (a === undefined || a === null) continue;
    switch (item.type) {
      case "number":
        if (typeof a === "number") state[item.id] = String(a);
        break;
      case "boolean":
        if (typeof a === "boolean") state[item.id] = a;
        break;
      case "multi":
        if (Array.isArray(a)) state[item.id] = a.filter((x): x is string => typeof x === "string");
        break;
      default:
        if (typeof a === "string") state[item.id] = a;
    }
  }
  return state;
}

/** Form state → `answers` (unanswered optional items left out; bad numbers kept as NaN so the schema names them). */
export function answersFromForm(state: IntakeFormState): Record<string, unknown> {
  const answers: Record<string, unknown> = {};
  for (const item of INTAKE_ITEMS_LIST) {
    const v = state[item.id];
    switch (item.type) {
      case "number": {
        const raw = typeof v === "string" ? v.trim() : "";
        if (raw !== "") answers[item.id] = parseDecimal(raw);
        break;
      }
      case "boolean":
        if (typeof v === "boolean") answers[item.id] = v;
        break;
      case "multi":
        if (Array.isArray(v)) answers[item.id] = v;
        break;
      case "text": {
        const raw = typeof v === "string" ? v.trim() : "";
        if (raw !== "") answers[item.id] = raw;
        break;
      }
      default:
        if (typeof v === "string" && v !== "") answers[item.id] = v;
    }
  }
  return answers;
}

interface Issue {
  code: string;
  path: readonly PropertyKey[];
}

/** A message for one item's problem, phrased from the definition (never from the value). */
export function messageFor(item: IntakeItem, issue: Issue | null, answered: boolean): string {
  if (!answered) {
    return item.type === "multi" ? "Choose all that apply, or “None of these”." : "This question needs an answer.";
  }
  switch (item.type) {
    case "number": {
      const unit = item.unit ? ` ${item.unit}` : "";
      if (issue?.code === "invalid_type") return "Enter a number.";
      return `Enter a value between ${String(item.min)} and ${String(item.max)}${unit}.`;
    }
    case "date":
      return item.max === "today" ? "Enter a real date, not in the future." : "Enter a valid date.";
    case "text":
      return `Keep this under ${item.maxLength ?? 500} characters.`;
    default:
      return "Check this answer.";
  }
}

/** The schema's verdict on the form: item id → message. Empty when valid. */
export function validateIntake(state: IntakeFormState): { errors: Record<string, string>; answers: IntakeAnswers | null } {
  const answers = answersFromForm(state);
  const parsed = intakeSubmissionSchema.safeParse({ answers });
  if (parsed.success) return { errors: {}, answers: parsed.data.answers };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const id = issue.path[0] === "answers" ? issue.path[1] : undefined;
    if (typeof id !== "string" || errors[id]) continue;
    const item = INTAKE_ITEMS_LIST.find((i) => i.id === id);
    if (!item) continue;
    errors[id] = messageFor(item, issue, answers[id] !== undefined);
  }
  return { errors, answers: null };
}

/**
 * The live preview: the shared rules on what is answered so far, once height and weight
 * are plausible. Unanswered lists count as none. A preview only; the server decides what
 * is stored, and a physician decides.
 */
export function previewEligibility(state: IntakeFormState, now = new Date()): EligibilityResult | null {
  const answers = answersFromForm(state);
  const h = answers.heightCm;
  const w = answers.weightKg;
  const height = INTAKE_ITEMS_LIST.find((i) => i.id === "heightCm");
  const weight = INTAKE_ITEMS_LIST.find((i) => i.id === "weightKg");
  const within = (n: unknown, item: IntakeItem | undefined) =>
    typeof n === "number" && Number.isFinite(n) && item !== undefined && n >= Number(item.min) && n <= Number(item.max);
  if (!within(h, height) || !within(w, weight)) return null;
  const dob = answers.dateOfBirth;
  const draft = {
    ...answers,
    conditions: answers.conditions ?? [],
    contraindications: answers.contraindications ?? [],
    medications: answers.medications ?? [],
    dateOfBirth: typeof dob === "string" && /^\d{4}-\d{2}-\d{2}$/.test(dob) ? dob : undefined,
  } as IntakeAnswers;
  return evaluateEligibility(draft, now);
}

/** Server `fields` ("answers.heightCm") → item ids. */
export function itemsFromServerFields(fields: readonly string[] | undefined): string[] {
  return (fields ?? []).map((f) => f.replace(/^answers\./, "").split(".")[0] ?? "").filter(Boolean);
}
