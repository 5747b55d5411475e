import { type Request, Router } from "express";
import { mfaConfirmSchema, mfaEnrollSchema, recoveryCodesRegenerateSchema, type RecoveryCodesResponse } from "@glp1/shared";
import { audited } from "../audit/audited.js";
import { AppError, parseInput } from "../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../http/request.js";
import type { AuthRouteDeps } from "./auth.routes.js";

const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

/**
 * `POST /api/auth/mfa/enroll` (signed in) → `{secret, otpauthUrl, recoveryCodes}`, shown
 * once and held as pending; `POST /api/auth/mfa/confirm {totp}` activates it. Both are
 * open to a password-only session: that is how a physician or admin gets past the gate.
 * `POST /api/auth/mfa/recovery-codes {totp}` replaces the recovery codes (MFA active).
 */
export function createMfaRoutes(deps: AuthRouteDeps): Router {
  const router = Router();
  router.use(requireAuth);

  router.post("/enroll", async (req, res) => {
    const actor = mustActor(req);
    const enrollment = await audited(deps.audit, "auth:mfa", actor, metaOf(req), { resource: "user", resourceId: actor.userId, reason: "ENROLL" }, () => {
      parseInput(mfaEnrollSchema, req.body ?? {});
      return deps.mfa.beginEnrollment(actor.userId);
    });
    // The secret must not sit in any cache; /api answers are already no-store.
    res.json(enrollment);
  });

  router.post("/confirm", async (req, res) => {
    const actor = mustActor(req);
    const meta = metaOf(req);
    await audited(deps.audit, "auth:mfa", actor, meta, { resource: "user", resourceId: actor.userId, reason: "CONFIRM" }, async () => {
      const { totp } = parseInput(mfaConfirmSchema, req.body);
      await deps.mfa.confirmEnrollment(actor.userId, totp);
      // This session has now shown a second factor. Sessions elsewhere were opened with a
      // password alone: end them (and their sockets), as a password change does.
      req.session.mfa = true;
      await save(req);
      const others = await deps.sessions.endAllOf(actor.userId, req.sessionID, "mfa_enabled");
      await Promise.all(others.map((sid) => deps.endSessionSockets(sid, "mfa_enabled")));
    });
    const user = await deps.auth.findById(actor.userId);
    res.json({ mfa: { enrolled: user?.mfaEnabled ?? false, verified: true, enrollmentRequired: false } });
  });

  /**
   * New recovery codes, shown once, against a current TOTP code; the old codes stop
   * working. Wrong codes count toward the account's sign-in lockout, as a wrong current
   * password does on a password change, so a stolen session cannot guess at leisure.
   */
  router.post("/recovery-codes", async (req, res) => {
    const actor = mustActor(req);
    const meta = metaOf(req);
    const recoveryCodes = await audited(deps.audit, "auth:mfa", actor, meta, { resource: "user", resourceId: actor.userId, reason: "RECOVERY_CODES" }, async () => {
      const { totp } = parseInput(recoveryCodesRegenerateSchema, req.body);
      const user = await deps.auth.findById(actor.userId);
      if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
      if (await deps.limits.login.accountLocked(user.emailIndex)) throw new AppError("RATE_LIMITED", "too many wrong codes; try again later");
      const r = await deps.mfa.regenerateRecoveryCodes(actor.userId, totp);
      if (r.status === "invalid") {
        await deps.limits.login.failed(user.emailIndex, meta.ip ?? "unknown");
        throw new AppError("VALIDATION_FAILED", "the code is not correct; check the time on your device", ["totp"]);
      }
      return r.codes;
    });
    const body: RecoveryCodesResponse = { recoveryCodes };
    res.json(body);
  });

  return router;
}
