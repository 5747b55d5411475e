import { Router } from "express";
import { breakGlassSchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { requireRole } from "../../auth/policy.js";
import { parseInput } from "../../http/errors.js";
import { actorOf, metaOf, requireAuth } from "../../http/request.js";
import type { BreakGlassService } from "./breakglass.service.js";

/** `POST /api/patients/:id/break-glass` (physician) and `GET /api/patients/:id/break-glass` (admin review); mounted at /patients. */
export function createBreakGlassRoutes(deps: { breakGlass: BreakGlassService; audit: AuditWriter }): Router {
  const router = Router();
  router.post("/:id/break-glass", requireAuth, async (req, res) => {
    const result = await audited(deps.audit, "patient:break_glass", actorOf(req), metaOf(req), { resource: "patient" }, (target) => {
      const actor = requireRole(actorOf(req), "physician");
      const patientId = parseInput(objectIdSchema, req.params.id);
      target.patientId = patientId;
      return deps.breakGlass.open(actor, patientId, parseInput(breakGlassSchema, req.body), target);
    });
    res.json(result);
  });
  router.get("/:id/break-glass", requireAuth, async (req, res) => {
    const grants = await audited(deps.audit, "patient:break_glass_review", actorOf(req), metaOf(req), { resource: "patient" }, (target) => {
      requireRole(actorOf(req), "admin");
      const patientId = parseInput(objectIdSchema, req.params.id);
      target.patientId = patientId;
      return deps.breakGlass.listFor(patientId);
    });
    res.json({ grants });
  });
  return router;
}
