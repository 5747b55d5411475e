import { Router } from "express";
import { intakeSubmissionSchema, intakeVersionParamSchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { requireRole } from "../../auth/policy.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { IntakeService } from "./intake.service.js";

/**
 * `GET /api/intake/questionnaire` and `POST /api/intake` (mounted at /intake);
 * `GET /api/patients/:id/intake[/:version]` (mounted at /patients, shared with other features,
 * so auth is per route rather than router-wide).
 */
export function createIntakeRoutes(deps: { intake: IntakeService; audit: AuditWriter }) {
  const intake = Router();
  intake.use(requireAuth);

  // The definition holds no PHI: not audited.
  intake.get("/questionnaire", (_req, res) => {
    res.json(deps.intake.questionnaire());
  });

  intake.post("/", async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(deps.audit, "intake:submit", actor, metaOf(req), { resource: "intake" }, (target) => {
      // Refuse other roles before reading the body: they learn nothing about the schema.
      requireRole(actor, "patient");
      return deps.intake.submit(actor, parseInput(intakeSubmissionSchema, req.body), target);
    });
    res.status(201).json(result);
  });

  const byPatient = Router();
  byPatient.get("/:id/intake", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(deps.audit, "intake:read", actor, metaOf(req), { resource: "intake" }, (target) =>
      deps.intake.latest(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json(result);
  });

  byPatient.get("/:id/intake/:version", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const intakeRecord = await audited(deps.audit, "intake:read", actor, metaOf(req), { resource: "intake" }, (target) => {
      const patientId = parseInput(objectIdSchema, req.params.id);
      return deps.intake.byVersion(actor, patientId, parseInput(intakeVersionParamSchema, req.params.version), target);
    });
    res.json({ intake: intakeRecord });
  });

  return { intake, byPatient };
}
