import { Router } from "express";
import { alertListQuerySchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { AlertService } from "./alerts.service.js";

/** `GET /api/patients/:id/alerts` (mounted at /patients) and `POST /api/alerts/:id/ack` (at /alerts). */
export function createAlertRoutes(deps: { alerts: AlertService; audit: AuditWriter }) {
  const byPatient = Router();
  byPatient.get("/:id/alerts", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const alerts = await audited(deps.audit, "alert:read", actor, metaOf(req), { resource: "alert" }, (target) => {
      const patientId = parseInput(objectIdSchema, req.params.id);
      const q = parseInput(alertListQuerySchema, req.query);
      return deps.alerts.list(actor, patientId, q.status, target);
    });
    res.json({ alerts });
  });

  const ack = Router();
  ack.post("/:id/ack", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const alert = await audited(deps.audit, "alert:ack", actor, metaOf(req), { resource: "alert" }, (target) =>
      deps.alerts.acknowledge(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json({ alert });
  });
  return { byPatient, ack };
}
