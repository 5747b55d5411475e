import { Router } from "express";
import { careTeamSchema, createUserSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import type { AuthService } from "../../auth/auth.service.js";
import { requireRole } from "../../auth/policy.js";
import { toPublicUser } from "../../auth/user.model.js";
import { parseInput } from "../../http/errors.js";
import { actorOf, metaOf, requireAuth } from "../../http/request.js";
import type { AdminService } from "./admin.service.js";

export function createAdminRoutes(deps: { auth: AuthService; admin: AdminService; audit: AuditWriter }): Router {
  const router = Router();
  router.use(requireAuth);

  router.post("/users", async (req, res) => {
    const user = await audited(deps.audit, "admin:create_user", actorOf(req), metaOf(req), { resource: "user" }, async (target) => {
      requireRole(actorOf(req), "admin");
      const u = await deps.auth.createUser(parseInput(createUserSchema, req.body));
      target.resourceId = String(u._id);
      if (u.role === "patient") target.patientId = String(u._id);
      return u;
    });
    res.status(201).json({ user: toPublicUser(user) });
  });

  router.post("/care-teams", async (req, res) => {
    const careTeam = await audited(deps.audit, "admin:care_team", actorOf(req), metaOf(req), { resource: "careteam" }, (target) => {
      requireRole(actorOf(req), "admin");
      return deps.admin.setCareTeam(parseInput(careTeamSchema, req.body), target);
    });
    res.json({ careTeam });
  });

  return router;
}
