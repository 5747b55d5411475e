import { Router } from "express";
import { objectIdSchema, triageCannedSchema, triageListQuerySchema, triagePrioritySchema, triageRouteSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { TriageService } from "./triage.service.js";

/** `/api/triage` (support): the queue, and the acts on one conversation's item (release: also admins). Each act is audited. */
export function createTriageRoutes(deps: { triage: TriageService; audit: AuditWriter }): Router {
  const { triage, audit } = deps;
  const router = Router();
  router.use(requireAuth);

  router.get("/", async (req, res) => {
    const actor = mustActor(req);
    const items = await audited(audit, "triage:list", actor, metaOf(req), { resource: "triage" }, (target) =>
      triage.list(actor, parseInput(triageListQuerySchema, req.query).status, target),
    );
    res.json({ items });
  });

  router.post("/:id/claim", async (req, res) => {
    const actor = mustActor(req);
    const item = await audited(audit, "triage:claim", actor, metaOf(req), { resource: "triage" }, (target) => triage.claim(actor, parseInput(objectIdSchema, req.params.id), target));
    res.json({ item });
  });

  /** The claimer (or an admin) gives the claim back; the queue sees it live. */
  router.post("/:id/release", async (req, res) => {
    const actor = mustActor(req);
    const item = await audited(audit, "triage:release", actor, metaOf(req), { resource: "triage" }, (target) => triage.release(actor, parseInput(objectIdSchema, req.params.id), target));
    res.json({ item });
  });

  router.post("/:id/priority", async (req, res) => {
    const actor = mustActor(req);
    const item = await audited(audit, "triage:priority", actor, metaOf(req), { resource: "triage" }, (target) =>
      triage.setPriority(actor, parseInput(objectIdSchema, req.params.id), parseInput(triagePrioritySchema, req.body).priority, target),
    );
    res.json({ item });
  });

  router.post("/:id/route", async (req, res) => {
    const actor = mustActor(req);
    const item = await audited(audit, "triage:route", actor, metaOf(req), { resource: "triage" }, (target) =>
      triage.route(actor, parseInput(objectIdSchema, req.params.id), parseInput(triageRouteSchema, req.body).physicianId, target),
    );
    res.json({ item });
  });

  router.post("/:id/respond", async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(audit, "triage:respond", actor, metaOf(req), { resource: "triage" }, (target) =>
      triage.answer(actor, parseInput(objectIdSchema, req.params.id), parseInput(triageCannedSchema, req.body).responseId, target),
    );
    res.json(result);
  });

  router.post("/:id/preview", async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(audit, "triage:preview", actor, metaOf(req), { resource: "triage" }, (target) => triage.preview(actor, parseInput(objectIdSchema, req.params.id), target));
    res.json(result);
  });

  return router;
}
