import { Router } from "express";
import { type AuditEntryView, type AuditPage, auditPageQuerySchema } from "@glp1/shared";
import { requireRole } from "../auth/policy.js";
import { AppError, parseInput } from "../http/errors.js";
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

/**
 * Admin-only reading of the audit trail, newest first. Reading it is audited too.
 * Pages by keyset: `before=<entry id>` answers the entries after that one in (at, _id)
 * descending order, whatever the filters; `next` is the cursor of the following page, or
 * null when there is none (one entry more than `limit` is read to know).
 */
export function createAuditRoutes(deps: { audit: AuditWriter; model: AuditModel }): Router {
  const router = Router();
  router.get("/", requireAuth, async (req, res) => {
    const page = await audited(deps.audit, "audit:read", actorOf(req), metaOf(req), { resource: "audit" }, async (): Promise<AuditPage> => {
      requireRole(actorOf(req), "admin");
      const q = parseInput(auditPageQuerySchema, req.query);
      const filter: Record<string, unknown> = {};
      if (q.userId) filter.userId = q.userId;
      if (q.patientId) filter.patientId = q.patientId;
      if (q.action) filter.action = q.action;
      if (q.from || q.to) {
        filter.at = { ...(q.from ? { $gte: new Date(q.from) } : {}), ...(q.to ? { $lte: new Date(q.to) } : {}) };
      }
      if (q.before) {
        const anchor = await deps.model.findById(q.before, { at: 1 }).lean();
        if (!anchor) throw new AppError("VALIDATION_FAILED", "invalid input (before: not an audit entry)", ["before"]);
        // Several entries may share an instant: the id breaks the tie, as in the sort.
        filter.$or = [{ at: { $lt: anchor.at } }, { at: anchor.at, _id: { $lt: anchor._id } }];
      }
      const docs = await deps.model.find(filter).sort({ at: -1, _id: -1 }).limit(q.limit + 1).lean();
      const entries = docs.slice(0, q.limit).map(toAuditView);
      return { entries, next: docs.length > q.limit ? entries[entries.length - 1]!.id : null };
    });
    res.json(page);
  });
  return router;
}
