import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Actor, RequestMeta } from "../audit/audited.js";
import { AppError } from "./errors.js";

/** The acting user, from the server-side session only. */
export function actorOf(req: Request): Actor | null {
  const s = req.session;
  if (!s?.userId || !s.role) return null;
  return { userId: s.userId, role: s.role, sessionId: req.sessionID };
}

export function metaOf(req: Request): RequestMeta {
  return {
    ip: req.ip ?? null,
    userAgent: req.get("user-agent") ?? null,
    requestId: (req.res?.getHeader("x-request-id") as string | undefined) ?? null,
  };
}

export function requestId(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("x-request-id", randomUUID());
  next();
}

/** 401 unless the request carries a live session. */
export function requireAuth(req: Request, _res: Response, next: NextFunction): void {
  if (!actorOf(req)) return next(new AppError("UNAUTHENTICATED", "sign in first"));
  next();
}

export function mustActor(req: Request): Actor {
  const actor = actorOf(req);
  if (!actor) throw new AppError("UNAUTHENTICATED", "sign in first");
  return actor;
}

/**
 * CSRF defence for cookie-authenticated writes: a browser always sends Origin on a
 * cross-site POST, so a write whose Origin is not ours is refused. Writes must be JSON
 * (a cross-site form cannot send that without a CORS preflight, which we never grant).
 */
export function sameOriginWrites(allowed: string[]) {
  const origins = new Set(allowed);
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    const origin = req.get("origin");
    if (origin && !origins.has(origin)) return next(new AppError("FORBIDDEN", "cross-site request refused"));
    const len = Number(req.get("content-length") ?? 0);
    if (len > 0 && !req.is("application/json")) {
      return next(new AppError("BAD_REQUEST", "request body must be application/json"));
    }
    next();
  };
}

/**
 * TRUST_PROXY as Express understands it: unset → trust nothing (X-Forwarded-For is
 * ignored); a number → that many proxy hops; "true" → any; else addresses or names
 * ("loopback", "10.0.0.0/8"). A bare "1" is a hop count, not the address 0.0.0.1.
 */
export function trustProxySetting(v: string | false): boolean | number | string {
  if (v === false || v === "" || v === "false") return false;
  if (v === "true") return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

/** The client address for a raw connection (sockets), by the same rule Express uses for `req.ip`. */
export function clientAddress(setting: boolean | number | string): (remote: string | undefined, forwardedFor: string | string[] | undefined) => string | null {
  const trust = express().set("trust proxy", setting).get("trust proxy fn") as (addr: string, i: number) => boolean;
  return (remote, forwardedFor) => {
    if (!remote) return null;
    if (setting === false) return remote;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "")).split(",").map((s) => s.trim()).filter(Boolean).reverse();
    const addrs = [remote, ...hops];
    // Walk from our side outwards; the first address we do not trust is the client.
    for (let i = 0; i < addrs.length - 1; i++) if (!trust(addrs[i]!, i)) return addrs[i]!;
    return addrs[addrs.length - 1]!;
  };
}
