import { Router } from "express";
import { metricsQuerySchema, objectIdSchema, reportMetricsSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { MetricsService } from "./metrics.service.js";

/** `POST /api/metrics` (mounted at /metrics) and `GET /api/patients/:id/metrics` (mounted at /patients). */
export function createMetricsRoutes(deps: { metrics: MetricsService; audit: AuditWriter }) {
  const report = Router();
  report.use(requireAuth);
  report.post("/", async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(deps.audit, "metrics:report", actor, metaOf(req), { resource: "reading" }, (target) =>
      deps.metrics.report(actor, parseInput(reportMetricsSchema, req.body), target),
    );
    res.status(201).json(result);
  });

  const byPatient = Router();
  byPatient.get("/:id/metrics", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const readings = await audited(deps.audit, "metrics:read", actor, metaOf(req), { resource: "reading" }, (target) => {
      const patientId = parseInput(objectIdSchema, req.params.id);
      return deps.metrics.query(actor, patientId, parseInput(metricsQuerySchema, req.query), target);
    });
    res.json({ readings });
  });

  return { report, byPatient };
}
