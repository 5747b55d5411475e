import { type Request, type Response, Router } from "express";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { loginSchema, type MfaStatus, registerSchema, type Role, type SessionEndReason, type SessionInfo } from "@glp1/shared";
import { audited } from "../audit/audited.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { AppError, parseInput } from "../http/errors.js";
import { actorOf, metaOf, mustActor, requireAuth } from "../http/request.js";
import { type AuthService, invalidCredentials } from "./auth.service.js";
import type { Limits } from "./limits.js";
import { needsSecondFactor } from "./mfa.gate.js";
import { createMfaRoutes } from "./mfa.routes.js";
import type { MfaService } from "./mfa.service.js";
import type { RedisSessionStore } from "./session.store.js";
import { createSessionRoutes } from "./sessions.routes.js";
import { toPublicUser, type User, type UserDoc } from "./user.model.js";

export interface AuthRouteDeps {
  auth: AuthService;
  audit: AuditWriter;
  sessions: RedisSessionStore;
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  /** Ends a session's sockets on every node (sends `session:expired` with the reason first). */
  endSessionSockets: (sid: string, reason: SessionEndReason) => Promise<void>;
  mfa: MfaService;
  limits: Limits;
  /** Roles whose sessions need a second factor before any PHI access. */
  mfaRequiredRoles: readonly Role[];
}

export function mfaStatus(user: Pick<User, "mfaEnabled">, req: Request, requiredRoles: readonly Role[]): MfaStatus {
  return {
    enrolled: user.mfaEnabled,
    verified: req.session.mfa === true,
    enrollmentRequired: needsSecondFactor(new Set(requiredRoles), req.session),
  };
}

export function sessionInfo(req: Request, deps: Pick<AuthRouteDeps, "idleTimeoutMs" | "absoluteLifetimeMs" | "sessions">): SessionInfo {
  const created = req.session.createdAt ?? Date.now();
  const ttl = deps.sessions.ttlFor(req.session);
  return {
    idleExpiresAt: new Date(Date.now() + ttl).toISOString(),
    absoluteExpiresAt: new Date(created + deps.absoluteLifetimeMs).toISOString(),
    idleTimeoutMs: deps.idleTimeoutMs,
  };
}

const regenerate = (req: Request) =>
  new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));

export function createAuthRoutes(deps: AuthRouteDeps): Router {
  const router = Router();
  const pp = new passport.Passport();
  pp.use(
    new LocalStrategy({ usernameField: "email", passwordField: "password", session: false }, (email, password, done) => {
      deps.auth.verifyCredentials(email, password).then((u) => done(null, u ?? false), done);
    }),
  );
  const authenticate = (req: Request, res: Response) =>
    new Promise<UserDoc | null>((resolve, reject) => {
      pp.authenticate("local", { session: false }, (err: unknown, user: UserDoc | false) => {
        if (err) reject(err);
        else resolve(user || null);
      })(req, res, reject);
    });

  /**
   * Order matters: the IP budget, then the account lockout, then the password (bcrypt
   * runs in every case, so timing does not tell locked, unknown and known apart), then
   * the second factor. MFA_REQUIRED is only ever answered after a correct password on an
   * unlocked account.
   */
  router.post("/login", async (req, res) => {
    const meta = metaOf(req);
    const ip = meta.ip ?? "unknown";
    const { user, mfa } = await audited(deps.audit, "auth:login", null, meta, { resource: "user" }, async (target) => {
      const input = parseInput(loginSchema, req.body);
      req.body = input;
      if (await deps.limits.login.ipBlocked(ip)) {
        target.reason = "IP_RATE_LIMITED";
        throw new AppError("RATE_LIMITED", "too many sign-in attempts from here; try again later");
      }
      const idx = deps.auth.emailIndex(input.email);
      const locked = await deps.limits.login.accountLocked(idx);
      const u = await authenticate(req, res);
      const refuse = async (reason: string) => {
        target.resourceId = target.userId = u ? String(u._id) : await deps.auth.idForEmail(input.email);
        target.reason = reason;
        await deps.limits.login.failed(idx, ip);
        return invalidCredentials();
      };
      if (locked) throw await refuse("LOCKED_OUT");
      if (!u) throw await refuse("INVALID_CREDENTIALS");
      target.resourceId = target.userId = String(u._id);
      target.role = u.role;
      let secondFactor = false;
      if (u.mfaEnabled) {
        const r = await deps.mfa.verify(u, { totp: input.totp, recoveryCode: input.recoveryCode });
        if (r.status === "missing") throw new AppError("MFA_REQUIRED", "enter the code from your authenticator app");
        if (r.status === "invalid") throw await refuse("MFA_INVALID");
        secondFactor = true;
        if (r.via === "recovery") target.reason = "RECOVERY_CODE";
      }
      await deps.limits.login.succeeded(idx);
      // A new session id at every login (no fixation); the old session is gone.
      await regenerate(req);
      Object.assign(req.session, {
        userId: String(u._id),
        role: u.role,
        createdAt: Date.now(),
        ip: meta.ip,
        userAgent: meta.userAgent,
        mfa: secondFactor,
      });
      await save(req);
      return { user: u, mfa: mfaStatus(u, req, deps.mfaRequiredRoles) };
    });
    res.json({ user: toPublicUser(user), session: sessionInfo(req, deps), mfa });
  });

  router.post("/logout", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    await audited(deps.audit, "auth:logout", actor, metaOf(req), { resource: "user", resourceId: actor.userId }, async () => {
      const sid = req.sessionID;
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      await deps.endSessionSockets(sid, "signed_out");
    });
    res.clearCookie(req.app.get("sessionCookieName") as string, { path: "/" });
    res.status(204).end();
  });

  router.get("/me", async (req, res) => {
    const actor = actorOf(req);
    if (!actor) throw new AppError("UNAUTHENTICATED", "no live session");
    const user = await deps.auth.findById(actor.userId);
    if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
    res.json({ user: toPublicUser(user), session: sessionInfo(req, deps), mfa: mfaStatus(user, req, deps.mfaRequiredRoles) });
  });

  /** "Stay signed in": a user's own request, so it renews the idle timer. */
  router.post("/keepalive", requireAuth, (req, res) => {
    res.json({ session: sessionInfo(req, deps) });
  });

  router.post("/register", async (req, res) => {
    const meta = metaOf(req);
    const result = await audited(deps.audit, "auth:register", null, meta, { resource: "user" }, async (target) => {
      const input = parseInput(registerSchema, req.body);
      const budget = await deps.limits.register(meta.ip ?? "unknown");
      if (!budget.allowed) {
        target.reason = "IP_RATE_LIMITED";
        throw new AppError("RATE_LIMITED", "too many accounts created from here; try again later");
      }
      const r = await deps.auth.register(input);
      target.resourceId = r.user ? String(r.user._id) : null;
      return { ...r, name: input.name };
    });
    // The same answer whether or not the email was already in use.
    const user = result.user ? toPublicUser(result.user) : { id: deps.auth.placeholderId(), role: "patient" as const, name: result.name };
    res.status(201).json({ user });
  });

  router.use("/mfa", createMfaRoutes(deps));
  router.use(createSessionRoutes(deps));

  return router;
}
