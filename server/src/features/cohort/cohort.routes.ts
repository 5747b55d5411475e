import { Router } from "express";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { CohortService } from "./cohort.service.js";

/** `GET /api/cohort` (mounted at /cohort). */
export function createCohortRoutes(deps: { cohort: CohortService; audit: AuditWriter }): Router {
  const router = Router();
  router.get("/", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(deps.audit, "cohort:read", actor, metaOf(req), { resource: "cohort" }, (target) => deps.cohort.figures(actor, target));
    res.json(result);
  });
  return router;
}
