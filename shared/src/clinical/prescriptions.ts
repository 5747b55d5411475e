import { z } from "zod";
import { objectIdSchema } from "../auth.js";
import { hasSpoofingCharacters } from "../chat.js";
import { DRUG_NAMES, DRUGS, type DrugName, stepIndex } from "./drugs.js";

/**
 * Prescriptions: the input schema, the status machine (as data), and the titration
 * ladder check (CLINICAL.md, "Drugs and titration ladders"). The ladder functions are
 * pure (history and `now` are arguments) so the prescription writer in the client shows
 * exactly what the server will enforce.
 */

export const DIRECTIONS_MAX_LENGTH = 500;
export const OVERRIDE_REASON_MIN_LENGTH = 10;
export const OVERRIDE_REASON_MAX_LENGTH = 500;
/** Pens (or single-dose vials) per fill; a pen holds four weekly doses. */
export const QUANTITY_MAX = 12;
export const REFILLS_MAX = 11;

export const createPrescriptionSchema = z.strictObject({
  patientId: objectIdSchema,
  drug: z.enum(DRUG_NAMES),
  /** Must be a step of the drug's ladder; checked by `checkTitration`, not here, so the error names the rule. */
  doseMg: z.number().positive().max(100),
  directions: z
    .string()
    .trim()
    .min(1)
    .max(DIRECTIONS_MAX_LENGTH)
    // Printed on a prescription and read by a pharmacist: the same characters refused as in chat.
    .refine((d) => !hasSpoofingCharacters(d), { message: "must not contain control or text-direction override characters" }),
  quantity: z.number().int().min(1).max(QUANTITY_MAX),
  refills: z.number().int().min(0).max(REFILLS_MAX),
  /** The physician's written reason for prescribing outside the ladder; sealed at rest, never audited as text. */
  overrideReason: z.string().trim().min(OVERRIDE_REASON_MIN_LENGTH).max(OVERRIDE_REASON_MAX_LENGTH).optional(),
});
export type CreatePrescriptionInput = z.infer<typeof createPrescriptionSchema>;

export const PRESCRIPTION_STATUSES = ["draft", "signed", "sent", "filled", "cancelled"] as const;
export type PrescriptionStatus = (typeof PRESCRIPTION_STATUSES)[number];

/** Every legal status change; anything else is an INVALID_TRANSITION. */
export const PRESCRIPTION_TRANSITIONS: Readonly<Record<PrescriptionStatus, readonly PrescriptionStatus[]>> = {
  draft: ["signed", "cancelled"],
  signed: ["sent", "cancelled"],
  sent: ["filled", "cancelled"],
  filled: [],
  cancelled: [],
};

export function canTransition(from: PrescriptionStatus, to: PrescriptionStatus): boolean {
  return PRESCRIPTION_TRANSITIONS[from].includes(to);
}

/** The acts on a prescription (URL verbs) and the status each one leads to. */
export const PRESCRIPTION_ACTIONS = { sign: "signed", send: "sent", fill: "filled", cancel: "cancelled" } as const;
export type PrescriptionAction = keyof typeof PRESCRIPTION_ACTIONS;

/** Prescriptions that count as the patient's medication history for the ladder. */
export const ACTIVE_HISTORY_STATUSES = ["signed", "sent", "filled"] as const satisfies readonly PrescriptionStatus[];

export const TITRATION_KINDS = ["start", "hold", "escalate", "decrease", "switch"] as const;
export type TitrationKind = (typeof TITRATION_KINDS)[number];

export const TITRATION_RULES = ["NOT_ON_LADDER", "FIRST_STEP", "SWITCH_DRUG", "ONE_STEP", "MIN_WEEKS"] as const;
export type TitrationRule = (typeof TITRATION_RULES)[number];

/** One signed (or sent, or filled) prescription of the patient's history. */
export interface TitrationHistoryEntry {
  drug: DrugName;
  doseMg: number;
  /** When it was signed (Date, or an ISO string as it arrives over JSON). */
  signedAt: Date | string;
}

export interface TitrationProposal {
  drug: DrugName;
  doseMg: number;
}

export type TitrationCheck =
  | { ok: true; kind: TitrationKind }
  | {
      ok: false;
      /** What the proposal would be if it were allowed (absent for a dose not on the ladder). */
      kind: TitrationKind | null;
      rule: TitrationRule;
      /** False for NOT_ON_LADDER: no written reason makes an off-ladder dose prescribable. */
      overridable: boolean;
      /** For people; names the rule, never the patient's doses. */
      message: string;
    };

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
const time = (d: Date | string) => (d instanceof Date ? d.getTime() : Date.parse(d));

/** The dose the patient is on now, and since when they have been on it. */
export interface CurrentDose {
  drug: DrugName;
  doseMg: number;
  /** Start of the current dose: the signing date of the first prescription in the unbroken run at this drug and dose. */
  since: string;
}

/**
 * The current dose from the history: the most recently signed prescription's drug and
 * dose. Its start is the signing date of the first prescription of the unbroken run at
 * that same drug and dose, so renewing a prescription at the same dose (a hold, a new
 * script for more pens) does not restart the 4-week clock, while any change of dose or
 * drug does.
 */
export function currentDose(history: readonly TitrationHistoryEntry[]): CurrentDose | null {
  const sorted = [...history].sort((a, b) => time(a.signedAt) - time(b.signedAt));
  const last = sorted.at(-1);
  if (!last) return null;
  const same = (e: TitrationHistoryEntry) => e.drug === last.drug && Math.abs(e.doseMg - last.doseMg) < 1e-9;
  let first = sorted.length - 1;
  while (first > 0 && same(sorted[first - 1]!)) first -= 1;
  return { drug: last.drug, doseMg: last.doseMg, since: new Date(time(sorted[first]!.signedAt)).toISOString() };
}

/**
 * Check a proposed prescription against the ladder, given the patient's history
 * (signed/sent/filled prescriptions only) and the time now:
 * - a dose that is not a step of its drug's ladder is refused outright (NOT_ON_LADDER,
 *   not overridable);
 * - with no history, the drug starts at its first step (FIRST_STEP);
 * - a drug other than the current one is a new start at its first step (SWITCH_DRUG);
 * - holding or going down is always allowed;
 * - going up is one step at a time (ONE_STEP) and only after `minWeeksPerStep` weeks at
 *   the current dose, counted from `currentDose().since` (MIN_WEEKS).
 * Every refusal except NOT_ON_LADDER may be overridden by a physician's written reason.
 */
export function checkTitration(history: readonly TitrationHistoryEntry[], proposal: TitrationProposal, now: Date): TitrationCheck {
  const drug = DRUGS[proposal.drug];
  const idx = stepIndex(proposal.drug, proposal.doseMg);
  if (idx < 0) {
    return { ok: false, kind: null, rule: "NOT_ON_LADDER", overridable: false, message: `the dose is not a step of the ${drug.name} ladder` };
  }
  const current = currentDose(history);
  const currentIdx = current && current.drug === proposal.drug ? stepIndex(current.drug, current.doseMg) : -1;
  if (currentIdx < 0) {
    // No history, another drug, or (defensively) a current dose that is not a step: a new start.
    const kind: TitrationKind = current ? "switch" : "start";
    if (idx === 0) return { ok: true, kind };
    return current
      ? { ok: false, kind, rule: "SWITCH_DRUG", overridable: true, message: `switching drug restarts ${drug.name} at its first step` }
      : { ok: false, kind, rule: "FIRST_STEP", overridable: true, message: `${drug.name} starts at its first step` };
  }
  if (idx === currentIdx) return { ok: true, kind: "hold" };
  if (idx < currentIdx) return { ok: true, kind: "decrease" };
  if (idx > currentIdx + 1) {
    return { ok: false, kind: "escalate", rule: "ONE_STEP", overridable: true, message: `${drug.name} is escalated one step at a time` };
  }
  if (now.getTime() - time(current!.since) < drug.minWeeksPerStep * WEEK_MS) {
    return {
      ok: false,
      kind: "escalate",
      rule: "MIN_WEEKS",
      overridable: true,
      message: `${drug.name} is escalated only after ${drug.minWeeksPerStep} weeks at the current dose`,
    };
  }
  return { ok: true, kind: "escalate" };
}

/** A dose the writer may offer without an override. */
export interface AllowedDose {
  drug: DrugName;
  doseMg: number;
  kind: TitrationKind;
}

/** What the prescription writer shows for a patient. */
export interface NextStep {
  current: (CurrentDose & { weeksAtDose: number }) | null;
  /** The dose the ladder suggests now: the next step when escalation is due, otherwise the current dose; null with no history (see `allowed` for each drug's first step). */
  suggested: AllowedDose | null;
  /** The next step up on the current drug and when it may be prescribed; null with no history or at the top of the ladder. */
  escalation: { doseMg: number; eligibleAt: string; due: boolean } | null;
  /** Every dose (of either drug) that passes `checkTitration` now without an override. */
  allowed: AllowedDose[];
}

/** The ladder's view of a patient now, for the prescription writer (same rules as `checkTitration`). */
export function nextAllowedStep(history: readonly TitrationHistoryEntry[], now: Date): NextStep {
  const allowed: AllowedDose[] = [];
  for (const name of DRUG_NAMES) {
    for (const doseMg of DRUGS[name].steps) {
      const r = checkTitration(history, { drug: name, doseMg }, now);
      if (r.ok) allowed.push({ drug: name, doseMg, kind: r.kind });
    }
  }
  const cur = currentDose(history);
  if (!cur) return { current: null, suggested: null, escalation: null, allowed };

  const drug = DRUGS[cur.drug];
  const weeksAtDose = Math.floor((now.getTime() - time(cur.since)) / WEEK_MS);
  const nextMg = drug.steps[stepIndex(cur.drug, cur.doseMg) + 1];
  let escalation: NextStep["escalation"] = null;
  if (stepIndex(cur.drug, cur.doseMg) >= 0 && nextMg !== undefined) {
    const eligibleAt = new Date(time(cur.since) + drug.minWeeksPerStep * WEEK_MS);
    escalation = { doseMg: nextMg, eligibleAt: eligibleAt.toISOString(), due: now.getTime() >= eligibleAt.getTime() };
  }
  const suggested: AllowedDose | null = escalation?.due
    ? { drug: cur.drug, doseMg: escalation.doseMg, kind: "escalate" }
    : (allowed.find((a) => a.drug === cur.drug && a.kind === "hold") ?? null);
  return { current: { ...cur, weeksAtDose }, suggested, escalation, allowed };
}

/** A prescription as the API answers it. */
export interface PrescriptionView {
  id: string;
  patientId: string;
  physicianId: string;
  drug: DrugName;
  doseMg: number;
  directions: string;
  quantity: number;
  refills: number;
  status: PrescriptionStatus;
  override: { reason: string; rule: TitrationRule | null } | null;
  titration: { kind: TitrationKind };
  createdAt: string;
  signedAt: string | null;
  sentAt: string | null;
  filledAt: string | null;
  cancelledAt: string | null;
  signature: { keyId: string; alg: "Ed25519" } | null;
}
