import { Router } from "express";
import { disclosuresQuerySchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import { type DisclosureService, disclosuresBundle, disclosuresCsv } from "./disclosures.js";

/** `GET /api/admin/patients/:id/disclosures?from&to&format=csv|fhir` (mounted at /admin). The export is audited. */
export function createDisclosureRoutes(deps: { disclosures: DisclosureService; audit: AuditWriter }): Router {
  const router = Router();
  router.get("/patients/:id/disclosures", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const { patientId, rows, format } = await audited(deps.audit, "audit:disclosures", actor, metaOf(req), { resource: "disclosures" }, async (target) => {
      const id = parseInput(objectIdSchema, req.params.id);
      target.patientId = id;
      const q = parseInput(disclosuresQuerySchema, req.query);
      return { patientId: id, format: q.format, rows: await deps.disclosures.list(actor, id, q, target) };
    });
    const stamp = new Date().toISOString().slice(0, 10);
    res.setHeader("cache-control", "no-store");
    if (format === "fhir") {
      res.setHeader("content-disposition", `attachment; filename="disclosures-${patientId}-${stamp}.fhir.json"`);
      res.type("application/fhir+json").send(JSON.stringify(disclosuresBundle(patientId, rows)));
      return;
    }
    res.setHeader("content-disposition", `attachment; filename="disclosures-${patientId}-${stamp}.csv"`);
    res.type("text/csv; charset=utf-8").send(disclosuresCsv(rows));
  });
  return router;
}
