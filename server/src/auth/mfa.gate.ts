import { type NextFunction, type Request, type Response, Router } from "express";
import type { Role } from "@glp1/shared";
import type { AuditWriter } from "../audit/audit.writer.js";
import { AppError } from "../http/errors.js";
import { metaOf } from "../http/request.js";

/**
 * The one rule for "password-only" sessions: a role that must use MFA (physicians and
 * admins by default) gets no PHI until the session has a second factor. The REST gate
 * below and the socket pipeline both ask this function, so there is one place to read.
 */
export function needsSecondFactor(requiredRoles: ReadonlySet<Role>, sess: { role?: Role | undefined; mfa?: boolean | undefined } | null | undefined): boolean {
  return !!sess?.role && requiredRoles.has(sess.role) && sess.mfa !== true;
}

export const mfaEnrollmentRequired = () =>
  new AppError("MFA_ENROLLMENT_REQUIRED", "set up multi-factor sign-in before using the clinic (POST /api/auth/mfa/enroll)");

/** What a password-only session may still reach under /api: sign in or out, set up MFA, see who it is. */
const OPEN = new Set([
  "POST /auth/login",
  "POST /auth/logout",
  "POST /auth/register",
  "GET /auth/me",
  "POST /auth/keepalive",
  "POST /auth/mfa/enroll",
  "POST /auth/mfa/confirm",
]);

/**
 * Express gate mounted first under /api (after the session middleware): every other
 * route answers 403 MFA_ENROLLMENT_REQUIRED to a password-only session of a role that
 * must use MFA. Mounting it once means no route can forget it.
 */
export function createMfaGate(requiredRoles: readonly Role[], audit: AuditWriter): Router {
  const roles = new Set(requiredRoles);
  const router = Router();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    if (roles.size === 0 || !needsSecondFactor(roles, req.session)) return next();
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, "") : req.path;
    if (OPEN.has(`${req.method} ${path}`)) return next();
    // The refusal is audited (fail closed: no answer before the entry is stored).
    audit
      .record({
        ...metaOf(req),
        userId: req.session.userId ?? null,
        role: req.session.role ?? null,
        action: "auth:mfa_gate",
        resource: "route",
        outcome: "denied",
        reason: "MFA_ENROLLMENT_REQUIRED",
      })
      .then(() => next(mfaEnrollmentRequired()), next);
  });
  return router;
}
