import {
  ACTIVE_HISTORY_STATUSES,
  canTransition,
  checkTitration,
  type CreatePrescriptionInput,
  type DrugName,
  type NextStep,
  nextAllowedStep,
  PRESCRIPTION_ACTIONS,
  type PrescriptionStatus,
  type PrescriptionView,
  type TitrationCheck,
  type TitrationKind,
  type TitrationRule,
} from "@glp1/shared";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import { AppError, forbidden, notFound } from "../../http/errors.js";
import type { TaskService, TaskView } from "../tasks/tasks.service.js";
import { type PrescriptionDoc, type PrescriptionModel, type SigningKeyModel, toPrescriptionView } from "./prescriptions.model.js";
import { createSigner } from "./signing.js";

export interface PrescriptionServiceDeps {
  prescriptions: PrescriptionModel;
  signingKeys: SigningKeyModel;
  access: Access;
  tasks: Pick<TaskService, "create">;
  /** The time "now" for the ladder and the status timestamps (tests may pass a fixed clock). */
  clock?: () => Date;
}

/** Audit code for a prescription written outside the ladder; the reason text stays sealed on the prescription. */
export const TITRATION_OVERRIDE = "TITRATION_OVERRIDE";

/** The audit entry of a successful act takes `reason` from the target (audited spreads the target into the entry). */
type ReasonTarget = AuditTarget & { reason?: string | null };

export interface HistoryItem {
  id: string;
  drug: DrugName;
  doseMg: number;
  status: PrescriptionStatus;
  signedAt: string;
}

export type VerifyResult = { valid: true } | { valid: false; reason: "unsigned" | "signature_mismatch" | "unreadable" };

const invalidTransition = (from: PrescriptionStatus, to: PrescriptionStatus) =>
  new AppError("INVALID_TRANSITION", `a ${from} prescription cannot become ${to}`);

/**
 * Accept a ladder verdict, or refuse with TITRATION_RULE. A broken rule passes only with
 * a written reason, and never for a dose that is not on the ladder.
 */
function decide(check: TitrationCheck, overrideReason: string | null | undefined): { kind: TitrationKind; overriddenRule: TitrationRule | null } {
  if (check.ok) return { kind: check.kind, overriddenRule: null };
  if (check.overridable && check.kind && overrideReason) return { kind: check.kind, overriddenRule: check.rule };
  const hint = check.overridable ? " (an overrideReason may be given)" : "";
  throw new AppError("TITRATION_RULE", `${check.rule}: ${check.message}${hint}`, undefined, { rule: check.rule, overridable: check.overridable });
}

/**
 * Prescriptions: writing (ladder-checked), the status machine (each change one
 * conditional update, so of two racing changes exactly one wins), Ed25519 signing and
 * verification, the patient's list and ladder view, and refill requests. Every function
 * takes the acting user and names the patient on the audit target before deciding.
 */
export function createPrescriptionService(deps: PrescriptionServiceDeps) {
  const { prescriptions, access, tasks } = deps;
  const now = deps.clock ?? (() => new Date());
  const signer = createSigner({ signingKeys: deps.signingKeys });

  /** The patient's signed/sent/filled prescriptions (drafts and cancelled ones never count), oldest first. */
  async function historyOf(patientId: string) {
    const docs = await prescriptions
      .find({ patientId, status: { $in: ACTIVE_HISTORY_STATUSES }, signedAt: { $ne: null } }, { drug: 1, doseMg: 1, status: 1, signedAt: 1 })
      .sort({ signedAt: 1, _id: 1 })
      .lean();
    return docs.map((d) => ({ id: String(d._id), drug: d.drug, doseMg: d.doseMg, status: d.status, signedAt: d.signedAt! }));
  }

  async function load(id: string, target: AuditTarget): Promise<PrescriptionDoc> {
    target.resource = "prescription";
    target.resourceId = id;
    const doc = await prescriptions.findById(id);
    if (!doc) throw notFound("prescription");
    target.patientId = String(doc.patientId);
    return doc;
  }

  /** Sign, send and cancel: a physician still treating the patient, and the one who wrote it. */
  async function assertPrescriber(actor: Actor, doc: PrescriptionDoc, target: AuditTarget) {
    await access.assertTreatingPhysician(actor, String(doc.patientId), target);
    if (String(doc.physicianId) !== actor.userId) throw forbidden();
  }

  async function reload(id: unknown): Promise<PrescriptionView> {
    return toPrescriptionView((await prescriptions.findById(id))!);
  }

  async function create(actor: Actor, input: CreatePrescriptionInput, target: AuditTarget): Promise<PrescriptionView> {
    target.resource = "prescription";
    await access.assertTreatingPhysician(actor, input.patientId, target);
    const history = await historyOf(input.patientId);
    const verdict = decide(checkTitration(history, input, now()), input.overrideReason);
    const doc = await prescriptions.create({
      patientId: input.patientId,
      physicianId: actor.userId,
      drug: input.drug,
      doseMg: input.doseMg,
      directions: input.directions,
      quantity: input.quantity,
      refills: input.refills,
      status: "draft",
      overrideReason: input.overrideReason ?? null,
      overriddenRule: verdict.overriddenRule,
      titrationKind: verdict.kind,
      createdAt: now(),
    });
    target.resourceId = String(doc._id);
    if (verdict.overriddenRule) (target as ReasonTarget).reason = TITRATION_OVERRIDE;
    return toPrescriptionView(doc);
  }

  /**
   * Sign a draft: check the ladder again against today's history (it may have changed
   * since the draft), sign the clinical fields with the physician's key, then move
   * draft → signed in one conditional update; a concurrent signer loses with 409.
   */
  async function sign(actor: Actor, id: string, target: AuditTarget): Promise<PrescriptionView> {
    const doc = await load(id, target);
    await assertPrescriber(actor, doc, target);
    if (!canTransition(doc.status, "signed")) throw invalidTransition(doc.status, "signed");
    const history = await historyOf(String(doc.patientId));
    const verdict = decide(checkTitration(history, doc, now()), doc.overrideReason);
    const signedAt = now();
    const signature = await signer.signPrescription({ ...doc.toObject(), signedAt });
    const r = await prescriptions.updateOne(
      { _id: doc._id, status: "draft" },
      { $set: { status: "signed", signedAt, signature, titrationKind: verdict.kind, overriddenRule: verdict.overriddenRule } },
    );
    if (r.modifiedCount !== 1) throw invalidTransition((await prescriptions.findById(doc._id, { status: 1 }).lean())?.status ?? doc.status, "signed");
    if (verdict.overriddenRule) (target as ReasonTarget).reason = TITRATION_OVERRIDE;
    return reload(doc._id);
  }

  const STAMP = { sent: "sentAt", filled: "filledAt", cancelled: "cancelledAt" } as const;

  /**
   * send (signed → sent), cancel (draft/signed/sent → cancelled): the prescriber;
   * fill (sent → filled, the pharmacy's confirmation): any treating physician may record it.
   */
  async function transition(actor: Actor, id: string, action: "send" | "cancel" | "fill", target: AuditTarget): Promise<PrescriptionView> {
    const doc = await load(id, target);
    if (action === "fill") await access.assertTreatingPhysician(actor, String(doc.patientId), target);
    else await assertPrescriber(actor, doc, target);
    const to = PRESCRIPTION_ACTIONS[action];
    if (!canTransition(doc.status, to)) throw invalidTransition(doc.status, to);
    const set: Record<string, unknown> = { status: to, [STAMP[to]]: now() };
    if (to === "filled") set.filledBy = actor.userId;
    const r = await prescriptions.updateOne({ _id: doc._id, status: doc.status }, { $set: set });
    if (r.modifiedCount !== 1) throw invalidTransition(doc.status, to);
    return reload(doc._id);
  }

  /** The patient sees their prescriptions once signed; their care team sees drafts too. */
  async function get(actor: Actor, id: string, target: AuditTarget): Promise<PrescriptionView> {
    const doc = await load(id, target);
    const basis = await access.assertPatientAccess(actor, String(doc.patientId), target);
    if (basis === "self" && !doc.signedAt) throw notFound("prescription");
    const view = toPrescriptionView(doc);
    return basis === "self" ? { ...view, override: null } : view;
  }

  /** A patient's prescriptions, newest first (drafts hidden from the patient). */
  async function listForPatient(actor: Actor, patientId: string, target: AuditTarget): Promise<PrescriptionView[]> {
    target.resource = "prescription";
    const basis = await access.assertPatientAccess(actor, patientId, target);
    const filter: Record<string, unknown> = { patientId };
    // A patient sees what was signed (and what happened to it), never drafts or drafts
    // cancelled before signing, and never the physician's override reasoning.
    if (basis === "self") filter.signedAt = { $ne: null };
    const docs = await prescriptions.find(filter).sort({ createdAt: -1, _id: -1 });
    const views = docs.map(toPrescriptionView);
    return basis === "self" ? views.map((v) => ({ ...v, override: null })) : views;
  }

  /** The ladder view for the prescription writer (care team only): what may be written now, and the history it rests on (newest first). */
  async function titration(actor: Actor, patientId: string, target: AuditTarget): Promise<{ next: NextStep; history: HistoryItem[] }> {
    target.resource = "prescription";
    await access.assertPatientAccess(actor, patientId, target, { self: false });
    const history = await historyOf(patientId);
    return {
      next: nextAllowedStep(history, now()),
      history: history.map((h) => ({ ...h, signedAt: h.signedAt.toISOString() })).reverse(),
    };
  }

  /**
   * Check the signature against the record as stored now. Care team and admins. A record
   * whose sealed fields no longer open (ciphertext edited or moved) is not valid either.
   */
  async function verify(actor: Actor, id: string, target: AuditTarget): Promise<VerifyResult> {
    target.resource = "prescription";
    target.resourceId = id;
    const head = await prescriptions.findById(id, { patientId: 1 }).lean();
    if (!head) throw notFound("prescription");
    await access.assertPatientAccess(actor, String(head.patientId), target, { admin: true, self: false });
    let doc: PrescriptionDoc | null;
    try {
      doc = await prescriptions.findById(id);
    } catch {
      return { valid: false, reason: "unreadable" };
    }
    if (!doc?.signature || !doc.signedAt) return { valid: false, reason: "unsigned" };
    return (await signer.verifyPrescription(doc.toObject(), doc.signature)) ? { valid: true } : { valid: false, reason: "signature_mismatch" };
  }

  /**
   * The patient asks their care team for a refill: one open task per prescription (a
   * repeat returns the same task). Any signed, sent or filled prescription qualifies
   * (a cancelled one answers 409, a draft 404 as the patient never sees drafts),
   * with refills left or not: with none left the physician must write a new one, which
   * is exactly when the care team needs to hear.
   */
  async function requestRefill(actor: Actor, id: string, target: AuditTarget): Promise<TaskView> {
    const doc = await load(id, target);
    if (actor.role !== "patient" || actor.userId !== String(doc.patientId)) throw forbidden();
    if (doc.status === "draft") throw notFound("prescription"); // drafts are not shown to the patient
    if (!(ACTIVE_HISTORY_STATUSES as readonly PrescriptionStatus[]).includes(doc.status)) {
      throw new AppError("CONFLICT", `a refill cannot be requested for a ${doc.status} prescription`);
    }
    return tasks.create(String(doc.patientId), "refill_request", String(doc._id));
  }

  return { create, sign, transition, get, listForPatient, titration, verify, requestRefill, historyOf };
}

export type PrescriptionService = ReturnType<typeof createPrescriptionService>;
