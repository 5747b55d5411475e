import { type Request, type Response, Router } from "express";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { loginSchema, registerSchema, type SessionInfo } from "@glp1/shared";
import { audited } from "../audit/audited.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { AppError, parseInput } from "../http/errors.js";
import { actorOf, metaOf, mustActor, requireAuth } from "../http/request.js";
import type { AuthService } from "./auth.service.js";
import type { RedisSessionStore } from "./session.store.js";
import { toPublicUser, type UserDoc } from "./user.model.js";

export interface AuthRouteDeps {
  auth: AuthService;
  audit: AuditWriter;
  sessions: RedisSessionStore;
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  /** Ends a session's sockets on every node (sends `session:expired` first). */
  endSessionSockets: (sid: string) => Promise<void>;
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

  router.post("/login", async (req, res) => {
    const meta = metaOf(req);
    const user = await audited(deps.audit, "auth:login", null, meta, { resource: "user" }, async (target) => {
      const input = parseInput(loginSchema, req.body);
      req.body = input;
      const u = await authenticate(req, res);
      if (!u) {
        target.resourceId = target.userId = await deps.auth.idForEmail(input.email);
        throw new AppError("INVALID_CREDENTIALS", "email or password is incorrect");
      }
      // A new session id at every login (no fixation); the old session is gone.
      await regenerate(req);
      Object.assign(req.session, {
        userId: String(u._id),
        role: u.role,
        createdAt: Date.now(),
        ip: meta.ip,
        userAgent: meta.userAgent,
      });
      await save(req);
      target.resourceId = target.userId = String(u._id);
      target.role = u.role;
      return u;
    });
    res.json({ user: toPublicUser(user), session: sessionInfo(req, deps) });
  });

  router.post("/logout", requireAuth, async (req, res) => {
    const actor = mustActor(req);
    await audited(deps.audit, "auth:logout", actor, metaOf(req), { resource: "user", resourceId: actor.userId }, async () => {
      const sid = req.sessionID;
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      await deps.endSessionSockets(sid);
    });
    res.clearCookie(req.app.get("sessionCookieName") as string, { path: "/" });
    res.status(204).end();
  });

  router.get("/me", async (req, res) => {
    const actor = actorOf(req);
    if (!actor) throw new AppError("UNAUTHENTICATED", "no live session");
    const user = await deps.auth.findById(actor.userId);
    if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
    res.json({ user: toPublicUser(user), session: sessionInfo(req, deps) });
  });

  /** "Stay signed in": a user's own request, so it renews the idle timer. */
  router.post("/keepalive", requireAuth, (req, res) => {
    res.json({ session: sessionInfo(req, deps) });
  });

  router.post("/register", async (req, res) => {
    const result = await audited(deps.audit, "auth:register", null, metaOf(req), { resource: "user" }, async (target) => {
      const input = parseInput(registerSchema, req.body);
      const r = await deps.auth.register(input);
      target.resourceId = r.user ? String(r.user._id) : null;
      return { ...r, name: input.name };
    });
    // The same answer whether or not the email was already in use.
    const user = result.user ? toPublicUser(result.user) : { id: deps.auth.placeholderId(), role: "patient" as const, name: result.name };
    res.status(201).json({ user });
  });

  return router;
}
