import { Router } from "express";
import { dashboardQuerySchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { DashboardService } from "./dashboard.service.js";

/** `GET /api/dashboard` (mounted at /dashboard). */
export function createDashboardRoutes(deps: { dashboard: DashboardService; audit: AuditWriter }): Router {
  const router = Router();
  router.get("/", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(deps.audit, "dashboard:read", actor, metaOf(req), { resource: "dashboard" }, (target) =>
      deps.dashboard.list(actor, parseInput(dashboardQuerySchema, req.query), target),
    );
    res.json(result);
  });
  return router;
}
