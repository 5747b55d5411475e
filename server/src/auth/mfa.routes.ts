import { type Request, Router } from "express";
import { mfaConfirmSchema, mfaEnrollSchema } from "@glp1/shared";
import { audited } from "../audit/audited.js";
import { parseInput } from "../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../http/request.js";
import type { AuthRouteDeps } from "./auth.routes.js";

const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

/**
 * `POST /api/auth/mfa/enroll` (signed in) → `{secret, otpauthUrl, recoveryCodes}`, shown
 * once and held as pending; `POST /api/auth/mfa/confirm {totp}` activates it. Both are
 * open to a password-only session: that is how a physician or admin gets past the gate.
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
      const others = await deps.sessions.endAllOf(actor.userId, req.sessionID);
      await Promise.all(others.map((sid) => deps.endSessionSockets(sid)));
    });
    const user = await deps.auth.findById(actor.userId);
    res.json({ mfa: { enrolled: user?.mfaEnabled ?? false, verified: true, enrollmentRequired: false } });
  });

  return router;
}
