import { Router } from "express";
import { type AuditEntryView, auditQuerySchema } from "@glp1/shared";
import { requireRole } from "../auth/policy.js";
import { parseInput } from "../http/errors.js";
import { actorOf, metaOf, requireAuth } from "../http/request.js";
import type { AuditEntry, AuditModel } from "./audit.model.js";
import { audited } from "./audited.js";
import type { AuditWriter } from "./audit.writer.js";

export function toAuditView(e: AuditEntry & { _id: unknown }): AuditEntryView {
  return {
    id: String(e._id),
    at: e.at.toISOString(),
    userId: e.userId ? String(e.userId) : null,
    role: e.role,
    action: e.action,
    resource: e.resource,
    resourceId: e.resourceId,
    patientId: e.patientId ? String(e.patientId) : null,
    outcome: e.outcome,
    ip: e.ip,
    userAgent: e.userAgent,
    requestId: e.requestId,
    reason: e.reason,
  };
}

/** Admin-only reading of the audit trail, newest first. Reading it is audited too. */
export function createAuditRoutes(deps: { audit: AuditWriter; model: AuditModel }): Router {
  const router = Router();
  router.get("/", requireAuth, async (req, res) => {
    const entries = await audited(deps.audit, "audit:read", actorOf(req), metaOf(req), { resource: "audit" }, async () => {
      requireRole(actorOf(req), "admin");
      const q = parseInput(auditQuerySchema, req.query);
      const filter: Record<string, unknown> = {};
      if (q.userId) filter.userId = q.userId;
      if (q.patientId) filter.patientId = q.patientId;
      if (q.action) filter.action = q.action;
      if (q.from || q.to) {
        filter.at = { ...(q.from ? { $gte: new Date(q.from) } : {}), ...(q.to ? { $lte: new Date(q.to) } : {}) };
      }
      const docs = await deps.model.find(filter).sort({ at: -1, _id: -1 }).limit(q.limit).lean();
      return docs.map(toAuditView);
    });
    res.json({ entries });
  });
  return router;
}
