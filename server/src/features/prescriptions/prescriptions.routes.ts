import { Router } from "express";
import { createPrescriptionSchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { PrescriptionService } from "./prescriptions.service.js";

/**
 * `/api/prescriptions` (router `prescriptions`) and the patient-scoped
 * `/api/patients/:id/prescriptions` · `/titration` (router `byPatient`, mounted at /patients).
 */
export function createPrescriptionRoutes(deps: { prescriptions: PrescriptionService; audit: AuditWriter }) {
  const { prescriptions: rx, audit } = deps;

  const prescriptions = Router();
  prescriptions.use(requireAuth);

  prescriptions.post("/", async (req, res) => {
    const actor = mustActor(req);
    const prescription = await audited(audit, "prescription:create", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.create(actor, parseInput(createPrescriptionSchema, req.body), target),
    );
    res.status(201).json({ prescription });
  });

  prescriptions.get("/:id", async (req, res) => {
    const actor = mustActor(req);
    const prescription = await audited(audit, "prescription:read", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.get(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json({ prescription });
  });

  prescriptions.post("/:id/sign", async (req, res) => {
    const actor = mustActor(req);
    const prescription = await audited(audit, "prescription:sign", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.sign(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json({ prescription });
  });

  for (const action of ["send", "cancel", "fill"] as const) {
    prescriptions.post(`/:id/${action}`, async (req, res) => {
      const actor = mustActor(req);
      const prescription = await audited(audit, `prescription:${action}`, actor, metaOf(req), { resource: "prescription" }, (target) =>
        rx.transition(actor, parseInput(objectIdSchema, req.params.id), action, target),
      );
      res.json({ prescription });
    });
  }

  prescriptions.get("/:id/verify", async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(audit, "prescription:verify", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.verify(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json(result);
  });

  prescriptions.post("/:id/refill-request", async (req, res) => {
    const actor = mustActor(req);
    const task = await audited(audit, "prescription:refill_request", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.requestRefill(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.status(201).json({ task });
  });

  const byPatient = Router();
  byPatient.get("/:id/prescriptions", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const list = await audited(audit, "prescription:read", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.listForPatient(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json({ prescriptions: list });
  });

  byPatient.get("/:id/titration", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const view = await audited(audit, "prescription:read", actor, metaOf(req), { resource: "prescription" }, (target) =>
      rx.titration(actor, parseInput(objectIdSchema, req.params.id), target),
    );
    res.json(view);
  });

  return { prescriptions, byPatient };
}
