import { Router } from "express";
import { trainingRecordSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { TrainingService } from "./training.service.js";

/** `POST /api/admin/training` and `GET /api/admin/training` (mounted at /admin); both audited. */
export function createTrainingRoutes(deps: { training: TrainingService; audit: AuditWriter }): Router {
  const router = Router();
  router.post("/training", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const record = await audited(deps.audit, "training:record", actor, metaOf(req), { resource: "training" }, (target) =>
      deps.training.record(actor, parseInput(trainingRecordSchema, req.body), target),
    );
    res.status(201).json({ record });
  });
  router.get("/training", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const staff = await audited(deps.audit, "training:list", actor, metaOf(req), { resource: "training" }, () => deps.training.status(actor));
    res.json({ staff });
  });
  return router;
}
