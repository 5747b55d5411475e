import { Router } from "express";
import {
  type CareTeamResponse,
  careTeamSchema,
  createUserSchema,
  mfaResetSchema,
  type MfaResetResponse,
  objectIdSchema,
  type SessionEndReason,
  type UserSearchResponse,
  userSearchSchema,
} from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import type { AuthService } from "../../auth/auth.service.js";
import type { MfaService } from "../../auth/mfa.service.js";
import { requireRole } from "../../auth/policy.js";
import type { RedisSessionStore } from "../../auth/session.store.js";
import { toPublicUser } from "../../auth/user.model.js";
import { AppError, notFound, parseInput } from "../../http/errors.js";
import { actorOf, metaOf, requireAuth } from "../../http/request.js";
import type { AdminService } from "./admin.service.js";

export interface AdminRouteDeps {
  auth: AuthService;
  admin: AdminService;
  audit: AuditWriter;
  mfa: Pick<MfaService, "reset">;
  sessions: Pick<RedisSessionStore, "endAllOf">;
  /** Ends a session's sockets on every node (sends `session:expired` with the reason first). */
  endSessionSockets: (sid: string, reason: SessionEndReason) => Promise<void>;
}

export function createAdminRoutes(deps: AdminRouteDeps): Router {
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

  /**
   * Find accounts by name (word prefixes), exact email or id. A POST so that the names and
   * emails typed stay out of URLs (and so out of access logs and browser history). The
   * search is one audit entry; each patient it shows an admin is named in the trail too
   * (on that entry when it is the only match, else one `SEARCH_RESULT` entry each).
   */
  router.post("/users/search", async (req, res) => {
    const meta = metaOf(req);
    const result = await audited(deps.audit, "admin:user_search", actorOf(req), meta, { resource: "user" }, async (target) => {
      const actor = requireRole(actorOf(req), "admin");
      const found = await deps.admin.searchUsers(parseInput(userSearchSchema, req.body), deps.auth);
      target.reason = `BY_${found.match.toUpperCase()}`;
      const only = found.users.length === 1 ? found.users[0]! : null;
      if (only) {
        target.resourceId = only.id;
        if (only.role === "patient") target.patientId = only.id;
      } else {
        const patients = found.users.filter((u) => u.role === "patient");
        await Promise.all(
          patients.map((p) =>
            deps.audit.record({ ...meta, userId: actor.userId, role: actor.role, action: "admin:user_search", resource: "user", resourceId: p.id, patientId: p.id, outcome: "success", reason: "SEARCH_RESULT" }),
          ),
        );
      }
      return found;
    });
    const body: UserSearchResponse = result;
    res.json(body);
  });

  /**
   * Reset an account's MFA (lost device, suspected compromise): the secret and recovery
   * codes are cleared and every session and socket of the account ends now. A role that
   * must use MFA is then held at the gate until it enrolls again. The audit entry carries
   * the reason code, never a secret.
   */
  router.post("/users/:id/mfa/reset", async (req, res) => {
    const result = await audited(deps.audit, "admin:mfa_reset", actorOf(req), metaOf(req), { resource: "user" }, async (target) => {
      // The account named is on the entry even when the caller may not act on it.
      if (objectIdSchema.safeParse(req.params.id).success) target.resourceId = req.params.id;
      const actor = requireRole(actorOf(req), "admin");
      const id = parseInput(objectIdSchema, req.params.id);
      const { reason } = parseInput(mfaResetSchema, req.body);
      if (id === actor.userId) throw new AppError("CONFLICT", "another admin must reset your multi-factor sign-in");
      const done = await deps.mfa.reset(id);
      if (!done) throw notFound("user");
      if (done.role === "patient") target.patientId = id;
      const sids = await deps.sessions.endAllOf(id, null, "mfa_reset");
      await Promise.all(sids.map((sid) => deps.endSessionSockets(sid, "mfa_reset")));
      // Set last, so a failure above is audited with its error code.
      target.reason = reason;
      const answer: MfaResetResponse = { user: { id, role: done.role, name: done.name, mfaEnrolled: false }, wasEnrolled: done.wasEnrolled, ended: sids.length };
      return answer;
    });
    res.json(result);
  });

  /**
   * A patient's care team as it stands, so the admin screen starts from it (and can say
   * who a change would remove). A read of who treats a patient: audited against them.
   */
  router.get("/care-teams/:patientId", async (req, res) => {
    const careTeam = await audited(deps.audit, "admin:care_team_read", actorOf(req), metaOf(req), { resource: "careteam" }, (target) => {
      // The patient named is on the entry even when the caller may not read it.
      if (objectIdSchema.safeParse(req.params.patientId).success) target.patientId = target.resourceId = req.params.patientId;
      requireRole(actorOf(req), "admin");
      return deps.admin.careTeamOf(parseInput(objectIdSchema, req.params.patientId), target);
    });
    const body: CareTeamResponse = careTeam;
    res.json(body);
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
