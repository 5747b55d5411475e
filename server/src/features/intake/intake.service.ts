import {
  type EligibilityResult,
  evaluateEligibility,
  INTAKE_QUESTIONNAIRE,
  INTAKE_QUESTIONNAIRE_VERSION,
  INTAKE_RED_FLAGS,
  type IntakeAnswers,
  type IntakeQuestionnaire,
  type IntakeRecord,
  type IntakeSubmission,
  type IntakeSummary,
  type IntakeVersionSummary,
  type PatientInstruction,
} from "@glp1/shared";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import { requireRole } from "../../auth/policy.js";
import { AppError, notFound } from "../../http/errors.js";
import type { AlertService, Finding } from "../alerts/alerts.service.js";
import type { TaskService } from "../tasks/tasks.service.js";
import type { Intake, IntakeModel } from "./intake.model.js";

/** Attempts at taking the next version number when submissions race. */
const VERSION_ATTEMPTS = 5;
/** Most versions listed with the latest intake. */
const VERSIONS_LISTED = 100;

type Assessment = Pick<EligibilityResult, "bmi" | "reasons">;

function toSummary(doc: Intake): IntakeSummary {
  const a = JSON.parse(doc.assessment) as Assessment;
  return {
    id: String(doc._id),
    version: doc.version,
    questionnaireVersion: doc.questionnaireVersion,
    createdAt: doc.createdAt.toISOString(),
    bmi: a.bmi,
    eligibility: { status: doc.status, reasons: a.reasons },
  };
}

function toRecord(doc: Intake): IntakeRecord {
  return { ...toSummary(doc), patientId: String(doc.patientId), answers: JSON.parse(doc.answers) as IntakeAnswers };
}

/** Red flags among the answers, as alert findings (CLINICAL.md, "Red flags"). */
function findingsOf(result: EligibilityResult, version: number): Finding[] {
  return result.reasons.flatMap((reason) => {
    const flag = INTAKE_RED_FLAGS[reason];
    return flag ? [{ kind: flag.kind, severity: flag.severity, evidence: { source: "intake", version, reason } }] : [];
  });
}

/**
 * Eligibility intakes. A patient submits for themself only; the rules run here (the
 * client's preview is never trusted), the result is sealed with the answers, and the
 * care team gets an `intake_review` task and any red-flag alert.
 */
export function createIntakeService(deps: { intakes: IntakeModel; access: Access; alerts: AlertService; tasks: TaskService }) {
  const { intakes, access, alerts, tasks } = deps;

  function questionnaire(): IntakeQuestionnaire {
    return INTAKE_QUESTIONNAIRE;
  }

  /** Store as the patient's next version; a duplicate-key race takes the number after. */
  async function insertNextVersion(patientId: string, answers: IntakeAnswers, result: EligibilityResult) {
    for (let attempt = 0; attempt < VERSION_ATTEMPTS; attempt += 1) {
      const last = await intakes.findOne({ patientId }, { version: 1 }).sort({ version: -1 }).lean();
      const version = (last?.version ?? 0) + 1;
      try {
        return await intakes.create({
          patientId,
          version,
          questionnaireVersion: INTAKE_QUESTIONNAIRE_VERSION,
          answers: JSON.stringify(answers),
          assessment: JSON.stringify({ bmi: result.bmi, reasons: result.reasons } satisfies Assessment),
          status: result.status,
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
      }
    }
    throw new AppError("CONFLICT", "too many submissions at once; try again");
  }

  /** The signed-in patient submits their answers (the patient id comes from the session). */
  async function submit(
    actor: Actor,
    input: IntakeSubmission,
    target: AuditTarget,
  ): Promise<{ intake: IntakeSummary; instructions: PatientInstruction[] }> {
    target.resource = "intake";
    requireRole(actor, "patient");
    const patientId = actor.userId;
    await access.assertPatientAccess(actor, patientId, target);
    const result = evaluateEligibility(input.answers);
    const doc = await insertNextVersion(patientId, input.answers, result);
    const intakeId = String(doc._id);
    target.resourceId = intakeId;
    // The alert first: a crisis must reach the care team (and 988 the patient) even if the task fails.
    const { instructions } = await alerts.raise(patientId, findingsOf(result, doc.version), "intake", intakeId);
    await tasks.create(patientId, "intake_review", intakeId);
    return { intake: toSummary(doc), instructions };
  }

  /** The latest intake with its answers, and every version (newest first). */
  async function latest(
    actor: Actor,
    patientId: string,
    target: AuditTarget,
  ): Promise<{ intake: IntakeRecord | null; versions: IntakeVersionSummary[] }> {
    target.resource = "intake";
    await access.assertPatientAccess(actor, patientId, target);
    const rows = await intakes
      .find({ patientId }, { version: 1, status: 1, createdAt: 1 })
      .sort({ version: -1 })
      .limit(VERSIONS_LISTED)
      .lean();
    const versions = rows.map((r) => ({ id: String(r._id), version: r.version, createdAt: r.createdAt.toISOString(), status: r.status }));
    if (rows.length === 0) return { intake: null, versions };
    const doc = await intakes.findById(rows[0]!._id);
    if (!doc) throw notFound("intake");
    target.resourceId = String(doc._id);
    return { intake: toRecord(doc), versions };
  }

  /** One version of a patient's intake, with its answers. */
  async function byVersion(actor: Actor, patientId: string, version: number, target: AuditTarget): Promise<IntakeRecord> {
    target.resource = "intake";
    await access.assertPatientAccess(actor, patientId, target);
    const doc = await intakes.findOne({ patientId, version });
    if (!doc) throw notFound("intake");
    target.resourceId = String(doc._id);
    return toRecord(doc);
  }

  return { questionnaire, submit, latest, byVersion };
}

export type IntakeService = ReturnType<typeof createIntakeService>;
