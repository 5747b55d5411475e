import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { parse as parseCookie } from "cookie";
import { unsign } from "cookie-signature";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import type { Role, SessionEndReason } from "@glp1/shared";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { Limits } from "../auth/limits.js";
import { needsSecondFactor } from "../auth/mfa.gate.js";
import type { RedisSessionStore } from "../auth/session.store.js";
import { clientAddress } from "../http/request.js";
import type { Logger } from "../infra/logger.js";
import { watchRedis } from "../infra/redis.js";
import { type AppServer, type AppSocket, attachPipeline, DrainGate, type EventHandlers } from "./pipeline.js";
import { rooms } from "./rooms.js";

export interface RealtimeDeps {
  redis: Redis;
  sessions: RedisSessionStore;
  audit: AuditWriter;
  logger: Logger;
  handlers: EventHandlers;
  allowedOrigins: string[];
  cookieName: string;
  sessionSecret: string;
  sweepMs: number;
  /** The Express "trust proxy" setting (see `trustProxySetting`); false ignores X-Forwarded-For. */
  trustProxy: boolean | number | string;
  namespace: string;
  /** How long an event may wait for audit capacity before it is refused. */
  auditWaitMs: number;
  /** Roles whose sessions need a second factor before any event or push. */
  mfaRequiredRoles?: readonly Role[];
  /** Per-connection event budget and per-user socket cap; none when absent. */
  limits?: Limits;
  /** Oldest a socket-count entry may be before it is taken for a leftover of a dead node. */
  absoluteLifetimeMs?: number;
}

/** Biggest inbound frame; a chat message is at most a few KB. */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * Socket.IO on the session cookie. The handshake and the idle sweep only read sessions;
 * only a user's own events renew them. Broadcasts and disconnects cross nodes through
 * the Redis adapter.
 */
export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps) {
  const { sessions, audit, logger } = deps;
  const origins = new Set(deps.allowedOrigins);
  const io: AppServer = new Server(httpServer, {
    transports: ["websocket"],
    maxHttpBufferSize: MAX_FRAME_BYTES,
    serveClient: false,
    cors: { origin: deps.allowedOrigins, credentials: true },
  });
  const pub = deps.redis.duplicate();
  const sub = deps.redis.duplicate();
  watchRedis(pub, logger, "adapter-pub");
  watchRedis(sub, logger, "adapter-sub");
  io.adapter(createAdapter(pub, sub, { key: `${deps.namespace}:socket.io` }));

  const mfaRoles = new Set(deps.mfaRequiredRoles ?? []);
  const addressOf = clientAddress(deps.trustProxy);
  const metaOf = (socket: AppSocket) => {
    return {
      ip: addressOf(socket.handshake.address, socket.handshake.headers["x-forwarded-for"]),
      userAgent: socket.handshake.headers["user-agent"] ?? null,
      requestId: socket.id,
    };
  };

  const drain = new DrainGate();
  let closing = false;

  io.use((socket, next) => {
    // A draining node takes no new connections; the client's reconnect finds another node.
    if (closing) return next(new Error("UNAVAILABLE"));
    void (async () => {
      const meta = metaOf(socket);
      const refuse = async (code: "UNAUTHENTICATED" | "FORBIDDEN" | "RATE_LIMITED", reason: string) => {
        await audit.record({ ...meta, action: "socket:rejected", resource: "socket", outcome: "denied", reason }).catch(() => undefined);
        next(new Error(code));
      };
      const origin = socket.handshake.headers.origin;
      if (origin && !origins.has(origin)) return refuse("FORBIDDEN", "BAD_ORIGIN");
      const raw = parseCookie(socket.handshake.headers.cookie ?? "")[deps.cookieName];
      const sid = raw?.startsWith("s:") ? unsign(raw.slice(2), deps.sessionSecret) : false;
      const sess = sid ? await sessions.peek(sid) : null;
      if (!sid || !sess?.userId || !sess.role) return refuse("UNAUTHENTICATED", "NO_SESSION");
      if (deps.limits && !(await deps.limits.sockets.acquire(sess.userId, socket.id))) {
        return refuse("RATE_LIMITED", "TOO_MANY_SOCKETS");
      }
      socket.data = { userId: sess.userId, role: sess.role, sessionId: sid, sessionCreatedAt: sess.createdAt ?? null, meta, needsMfa: needsSecondFactor(mfaRoles, sess) };
      next();
    })().catch((err: unknown) => {
      logger.error({ err }, "socket handshake failed");
      next(new Error("UNAUTHENTICATED"));
    });
  });

  /**
   * Why a session this node found gone ended: what the act that ended it noted (an admin's
   * disable, a logout elsewhere…), else the absolute lifetime or the idle timeout, told
   * apart by when the session began.
   */
  const reasonsFor = async (sockets: AppSocket[]): Promise<Map<string, SessionEndReason>> => {
    const sids = [...new Set(sockets.map((s) => s.data.sessionId))];
    const noted = await sessions.endReasons(sids).catch(() => new Map<string, SessionEndReason>());
    const now = Date.now();
    for (const s of sockets) {
      if (noted.has(s.data.sessionId)) continue;
      const created = s.data.sessionCreatedAt;
      const absolute = deps.absoluteLifetimeMs !== undefined && created != null && now >= created + deps.absoluteLifetimeMs;
      noted.set(s.data.sessionId, absolute ? "absolute_limit" : "idle");
    }
    return noted;
  };

  const expireWith = (socket: AppSocket, reason: SessionEndReason) => {
    socket.emit("session:expired", { reason });
    socket.disconnect(true);
  };

  /** End local sockets whose session is gone, each told why. */
  const expireAll = async (list: AppSocket[]) => {
    const reasons = await reasonsFor(list);
    for (const s of list) expireWith(s, reasons.get(s.data.sessionId) ?? "idle");
  };

  const expire = (socket: AppSocket) => {
    void expireAll([socket]).catch((err: unknown) => {
      logger.warn({ err }, "session expiry failed");
      expireWith(socket, "idle");
    });
  };

  io.on("connection", (socket) => {
    const { userId, role, sessionId, meta } = socket.data;
    // A password-only session of a role that must use MFA gets no pushes: it stays out
    // of its user room until an event shows the session has its second factor.
    void socket.join(socket.data.needsMfa ? [rooms.session(sessionId)] : [rooms.user(userId), rooms.session(sessionId)]);
    const eventBudget = deps.limits?.socketEvent;
    attachPipeline(socket, { io, sessions, audit, logger, handlers: deps.handlers, expire, drain, auditWaitMs: deps.auditWaitMs, mfaRequiredRoles: mfaRoles, ...(eventBudget ? { eventBudget } : {}) });
    void audit.record({ userId, role, ...meta, action: "socket:connect", resource: "socket", outcome: "success" }).catch(() => undefined);
    socket.on("disconnect", (reason) => {
      if (deps.limits) void deps.limits.sockets.release(userId, socket.id).catch(() => undefined);
      void audit
        .record({ userId, role, ...meta, action: "socket:disconnect", resource: "socket", outcome: "success", reason: reason.replace(/\s+/g, "_").slice(0, 40) })
        .catch(() => undefined);
    });
  });

  /** Idle or absolute expiry happens in Redis; this notices it for local sockets. */
  const sweep = setInterval(() => {
    void (async () => {
      const bySession = new Map<string, AppSocket[]>();
      for (const s of io.of("/").sockets.values()) {
        const list = bySession.get(s.data.sessionId) ?? [];
        list.push(s);
        bySession.set(s.data.sessionId, list);
      }
      const live = await sessions.alive([...bySession.keys()]);
      const gone = [...bySession].flatMap(([sid, list]) => (live.has(sid) ? [] : list));
      if (gone.length > 0) await expireAll(gone);
    })().catch((err: unknown) => logger.warn({ err }, "session sweep failed"));
  }, deps.sweepMs);
  sweep.unref();

  /** Keep this node's socket slots marked live (a node that dies stops, and its slots lapse). */
  const slots = deps.limits
    ? setInterval(() => {
        const live = [...io.of("/").sockets.values()].map((s) => [s.data.userId, s.id] as [string, string]);
        void deps.limits!.sockets.refresh(live).catch((err: unknown) => logger.warn({ err }, "socket slot refresh failed"));
      }, deps.limits.sockets.refreshEveryMs)
    : null;
  slots?.unref();

  /** End every socket of a session, on every node, telling the client why. */
  async function endSession(sid: string, reason: SessionEndReason): Promise<void> {
    io.to(rooms.session(sid)).emit("session:expired", { reason });
    io.in(rooms.session(sid)).disconnectSockets(true);
  }

  /**
   * Graceful stop: refuse new handshakes, let events under way finish (their audit entries
   * are awaited inside), then close every transport — a transport close, unlike a server
   * disconnect, makes socket.io clients reconnect by themselves (to another node).
   */
  async function close(): Promise<void> {
    clearInterval(sweep);
    if (slots) clearInterval(slots);
    closing = true;
    await drain.drain(10_000);
    for (const s of io.of("/").sockets.values()) s.conn.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
    pub.disconnect();
    sub.disconnect();
  }

  return { io, endSession, close };
}

export type Realtime = ReturnType<typeof createRealtime>;
