import { existsSync } from "node:fs";
import path from "node:path";
import express, { type NextFunction, type Request, type Response } from "express";
import session from "express-session";
import helmet from "helmet";
import type { Logger } from "../infra/logger.js";
import { AppError, toErrorBody } from "./errors.js";
import { requestId, sameOriginWrites } from "./request.js";

export interface HttpAppDeps {
  logger: Logger;
  allowedOrigins: string[];
  sessionMiddleware: ReturnType<typeof session>;
  cookieName: string;
  trustProxy: string | false;
  secureCookies: boolean;
  clientDist: string | null;
  /** Feature routers as [mount path, router], mounted under /api in order (several may share a path). */
  api: Array<[string, express.Router]>;
  ready: () => Promise<void>;
  /** Runs before any API route: backpressure from the audit writer. */
  admission?: express.RequestHandler;
}

/** Largest JSON body the API reads. */
export const MAX_BODY = "32kb";

/** Express app assembly: security headers, one body parser, sessions on /api only, one error mapper. */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy === false ? false : deps.trustProxy === "true" ? true : deps.trustProxy);
  app.set("query parser", "simple");
  app.set("sessionCookieName", deps.cookieName);

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          ...(deps.secureCookies ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: deps.secureCookies ? { maxAge: 31536000, includeSubDomains: true } : false,
    }),
  );
  app.use(requestId);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      // Route templates only (`/:id/messages`), never the raw URL, query, body or cookies.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : req.baseUrl || "(static)";
      deps.logger.info(
        { method: req.method, route, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, requestId: res.getHeader("x-request-id") },
        "request",
      );
    });
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await deps.ready();
      res.json({ ok: true });
    } catch {
      res.status(503).json({ error: { code: "INTERNAL", message: "not ready" } });
    }
  });

  const api = express.Router();
  api.use((_req, res, next) => {
    // Answers may hold PHI: never cached by the browser or a proxy.
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  api.use(sameOriginWrites(deps.allowedOrigins));
  if (deps.admission) api.use(deps.admission);
  api.use(express.json({ limit: MAX_BODY, strict: true }));
  api.use(deps.sessionMiddleware);
  for (const [mount, router] of deps.api) api.use(mount, router);
  api.use((_req, _res, next) => next(new AppError("NOT_FOUND", "no such endpoint")));
  app.use("/api", api);

  if (deps.clientDist && existsSync(path.join(deps.clientDist, "index.html"))) {
    const dist = deps.clientDist;
    app.use(express.static(dist, { index: false, maxAge: "1h" }));
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
      res.setHeader("Cache-Control", "no-cache");
      res.sendFile(path.join(dist, "index.html"));
    });
  }

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body, known } = toErrorBody(err);
    if (!known) deps.logger.error({ err, method: req.method, route: req.route?.path ?? req.baseUrl }, "request failed");
    if (res.headersSent) return;
    res.status(status).json({ error: body });
  });

  return app;
}
