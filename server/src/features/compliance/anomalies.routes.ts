import { Router } from "express";
import { anomalyQuerySchema, closeAnomalySchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { AnomalyService } from "./anomalies.service.js";

/** `GET /api/admin/anomalies?status` and `POST /api/admin/anomalies/:id/close` (mounted at /admin). */
export function createAnomalyRoutes(deps: { anomalies: AnomalyService; audit: AuditWriter }): Router {
  const router = Router();
  router.get("/anomalies", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const anomalies = await audited(deps.audit, "anomaly:list", actor, metaOf(req), { resource: "anomaly" }, () =>
      deps.anomalies.list(actor, parseInput(anomalyQuerySchema, req.query)),
    );
    res.json({ anomalies });
  });
  router.post("/anomalies/:id/close", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const anomaly = await audited(deps.audit, "anomaly:close", actor, metaOf(req), { resource: "anomaly" }, (target) =>
      deps.anomalies.close(actor, parseInput(objectIdSchema, req.params.id), parseInput(closeAnomalySchema, req.body), target),
    );
    res.json({ anomaly });
  });
  return router;
}
