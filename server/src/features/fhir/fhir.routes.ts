import { Router } from "express";
import { objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { FhirService } from "./fhir.service.js";

/** `GET /api/patients/:id/fhir` (mounted at /patients). */
export function createFhirRoutes(deps: { fhir: FhirService; audit: AuditWriter }): Router {
  const router = Router();
  router.get("/:id/fhir", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const b = await audited(deps.audit, "fhir:export", actor, metaOf(req), { resource: "patient" }, (target) =>
      deps.fhir.exportPatient(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.type("application/fhir+json").send(JSON.stringify(b));
  });
  return router;
}
