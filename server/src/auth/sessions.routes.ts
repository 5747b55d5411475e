import { type Request, type Response, Router } from "express";
import { changePasswordSchema, objectIdSchema, type SessionEndReason, sessionHandleSchema, type SessionView } from "@glp1/shared";
import { audited } from "../audit/audited.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { AppError, notFound, parseInput } from "../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../http/request.js";
import type { AuthRouteDeps } from "./auth.routes.js";
import { type AuthService, invalidCredentials } from "./auth.service.js";
import { requireRole } from "./policy.js";
import type { RedisSessionStore } from "./session.store.js";
import { toPublicUser } from "./user.model.js";

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

/** End sessions in Redis and their sockets on every node, at once, telling them why. */
async function endSessions(deps: Pick<AuthRouteDeps, "sessions" | "endSessionSockets">, sids: string[], reason: SessionEndReason): Promise<void> {
  await Promise.all(sids.map((sid) => deps.sessions.end(sid, reason)));
  await Promise.all(sids.map((sid) => deps.endSessionSockets(sid, reason)));
}

function clearCookie(req: Request, res: Response) {
  res.clearCookie(req.app.get("sessionCookieName") as string, { path: "/" });
}

/**
 * The caller's own sessions and password. Session ids never leave the server: the API
 * names a session by an opaque keyed handle (`RedisSessionStore.handleOf`).
 */
export function createSessionRoutes(deps: AuthRouteDeps): Router {
  const router = Router();

  router.get("/sessions", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const sessions = await audited(deps.audit, "auth:sessions", actor, metaOf(req), { resource: "session" }, async () => {
      const list = await deps.sessions.listOf(actor.userId);
      return list.map(
        (s): SessionView => ({
          id: s.handle,
          current: s.sid === req.sessionID,
          createdAt: iso(s.createdAt),
          lastActivityAt: iso(s.lastActivityAt),
          ip: s.ip,
          userAgent: s.userAgent,
        }),
      );
    });
    res.json({ sessions });
  });

  /** End one of the caller's sessions (its sockets too). Ending the current one is a logout. */
  router.delete("/sessions/:id", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const handle = parseInput(sessionHandleSchema, req.params.id);
    const wasCurrent = await audited(deps.audit, "auth:session_end", actor, metaOf(req), { resource: "session", resourceId: handle }, async () => {
      const target = (await deps.sessions.listOf(actor.userId)).find((s) => s.handle === handle);
      if (!target) throw notFound("session");
      await endSessions(deps, [target.sid], target.sid === req.sessionID ? "signed_out" : "ended_elsewhere");
      return target.sid === req.sessionID;
    });
    if (wasCurrent) clearCookie(req, res);
    res.status(204).end();
  });

  /** End every other session of the caller ("sign out everywhere else"). */
  router.delete("/sessions", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const ended = await audited(deps.audit, "auth:session_end", actor, metaOf(req), { resource: "session", reason: "ALL_OTHERS" }, async () => {
      const sids = (await deps.sessions.sessionsOf(actor.userId)).filter((s) => s !== req.sessionID);
      await endSessions(deps, sids, "ended_elsewhere");
      return sids.length;
    });
    res.json({ ended });
  });

  /**
   * Change the password, re-authenticating with the current one. Wrong current passwords
   * count toward the account's login lockout (a stolen session cannot guess at leisure).
   * Every other session of the user ends at once, sockets included.
   */
  router.post("/password", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const meta = metaOf(req);
    const ended = await audited(deps.audit, "auth:password", actor, meta, { resource: "user", resourceId: actor.userId }, async (target) => {
      const input = parseInput(changePasswordSchema, req.body);
      const user = await deps.auth.findById(actor.userId);
      if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
      if (await deps.limits.login.accountLocked(user.emailIndex)) {
        target.reason = "LOCKED_OUT";
        throw invalidCredentials();
      }
      if (!(await deps.auth.changePassword(actor.userId, input.currentPassword, input.newPassword))) {
        await deps.limits.login.failed(user.emailIndex, meta.ip ?? "unknown");
        throw invalidCredentials();
      }
      const sids = (await deps.sessions.sessionsOf(actor.userId)).filter((s) => s !== req.sessionID);
      await endSessions(deps, sids, "password_changed");
      return sids.length;
    });
    res.json({ ended });
  });

  return router;
}

export interface AccountAdminDeps {
  auth: AuthService;
  audit: AuditWriter;
  sessions: RedisSessionStore;
  endSessionSockets: (sid: string, reason: SessionEndReason) => Promise<void>;
}

/** Mounted at /api/admin beside the admin feature's routes: account switches that end sessions. */
export function createAccountAdminRoutes(deps: AccountAdminDeps): Router {
  const router = Router();

  /** Disable an account: it cannot sign in, and every session and socket it has ends now. */
  router.post("/users/:id/disable", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    const result = await audited(deps.audit, "admin:disable_user", actor, metaOf(req), { resource: "user" }, async (target) => {
      requireRole(actor, "admin");
      const id = parseInput(objectIdSchema, req.params.id);
      target.resourceId = id;
      if (id === actor.userId) throw new AppError("CONFLICT", "you cannot disable your own account");
      const user = await deps.auth.setActive(id, false);
      if (!user) throw notFound("user");
      if (user.role === "patient") target.patientId = id;
      const sids = await deps.sessions.sessionsOf(id);
      await endSessions(deps, sids, "account_disabled");
      return { user, ended: sids.length };
    });
    res.json({ user: { ...toPublicUser(result.user), active: false }, ended: result.ended });
  });

  return router;
}
