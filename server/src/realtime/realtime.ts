import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { parse as parseCookie } from "cookie";
import { unsign } from "cookie-signature";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { RedisSessionStore } from "../auth/session.store.js";
import type { Logger } from "../infra/logger.js";
import { type AppServer, type AppSocket, attachPipeline, type EventHandlers } from "./pipeline.js";
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
  trustProxy: boolean;
  namespace: string;
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
  io.adapter(createAdapter(pub, sub, { key: `${deps.namespace}:socket.io` }));

  const metaOf = (socket: AppSocket) => {
    const fwd = deps.trustProxy ? String(socket.handshake.headers["x-forwarded-for"] ?? "").split(",")[0]?.trim() : "";
    return {
      ip: fwd || socket.handshake.address || null,
      userAgent: socket.handshake.headers["user-agent"] ?? null,
      requestId: socket.id,
    };
  };

  io.use((socket, next) => {
    void (async () => {
      const meta = metaOf(socket);
      const refuse = async (code: "UNAUTHENTICATED" | "FORBIDDEN", reason: string) => {
        await audit.record({ ...meta, action: "socket:rejected", resource: "socket", outcome: "denied", reason }).catch(() => undefined);
        next(new Error(code));
      };
      const origin = socket.handshake.headers.origin;
      if (origin && !origins.has(origin)) return refuse("FORBIDDEN", "BAD_ORIGIN");
      const raw = parseCookie(socket.handshake.headers.cookie ?? "")[deps.cookieName];
      const sid = raw?.startsWith("s:") ? unsign(raw.slice(2), deps.sessionSecret) : false;
      const sess = sid ? await sessions.peek(sid) : null;
      if (!sid || !sess?.userId || !sess.role) return refuse("UNAUTHENTICATED", "NO_SESSION");
      socket.data = { userId: sess.userId, role: sess.role, sessionId: sid, meta };
      next();
    })().catch((err: unknown) => {
      logger.error({ err }, "socket handshake failed");
      next(new Error("UNAUTHENTICATED"));
    });
  });

  const expire = (socket: AppSocket) => {
    socket.emit("session:expired", {});
    socket.disconnect(true);
  };

  io.on("connection", (socket) => {
    const { userId, role, sessionId, meta } = socket.data;
    void socket.join([rooms.user(userId), rooms.session(sessionId)]);
    attachPipeline(socket, { io, sessions, audit, logger, handlers: deps.handlers, expire });
    void audit.record({ userId, role, ...meta, action: "socket:connect", resource: "socket", outcome: "success" }).catch(() => undefined);
    socket.on("disconnect", (reason) => {
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
      for (const [sid, list] of bySession) if (!live.has(sid)) list.forEach(expire);
    })().catch((err: unknown) => logger.warn({ err }, "session sweep failed"));
  }, deps.sweepMs);
  sweep.unref();

  /** End every socket of a session, on every node. */
  async function endSession(sid: string): Promise<void> {
    io.to(rooms.session(sid)).emit("session:expired", {});
    io.in(rooms.session(sid)).disconnectSockets(true);
  }

  async function close(): Promise<void> {
    clearInterval(sweep);
    io.local.disconnectSockets(true);
    await new Promise<void>((resolve) => io.close(() => resolve()));
    pub.disconnect();
    sub.disconnect();
  }

  return { io, endSession, close };
}

export type Realtime = ReturnType<typeof createRealtime>;
