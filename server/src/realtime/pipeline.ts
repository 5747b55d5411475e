import type { ClientEventName, ClientToServerEvents, Role, ServerToClientEvents } from "@glp1/shared";
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import { type Actor, type AuditTarget, audited, type RequestMeta } from "../audit/audited.js";
import type { AuditInput, AuditWriter } from "../audit/audit.writer.js";
import { needsSecondFactor } from "../auth/mfa.gate.js";
import type { HitResult } from "../auth/rate-limit.js";
import type { RedisSessionStore } from "../auth/session.store.js";
import { AppError, parseInput, toErrorBody } from "../http/errors.js";
import type { Logger } from "../infra/logger.js";
import { rooms } from "./rooms.js";

export interface SocketData {
  userId: string;
  role: Actor["role"];
  sessionId: string;
  /** When the session began (epoch ms), to tell an absolute-lifetime end from an idle one. */
  sessionCreatedAt?: number | null;
  meta: RequestMeta;
  /** At the handshake the session still owed a second factor (kept out of its user room). */
  needsMfa?: boolean;
}

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

type AckData<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[1] extends (ack: infer A) => void
  ? A extends { ok: true; data: infer D }
    ? D
    : never
  : never;
type Payload<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];

export interface EventContext {
  actor: Actor;
  socket: AppSocket;
  io: AppServer;
  /** Audit a push of PHI to each recipient user before it is sent. */
  disclose: (recipients: string[], what: Pick<AuditInput, "action" | "resource" | "resourceId" | "patientId">) => Promise<void>;
  /**
   * Run `fn` once the act's own audit entry is stored, before the ack. A push whose
   * disclosures were queued in `run` (not awaited) goes here: its entries then share the
   * act's batch, one database write instead of two in a row.
   */
  afterAudit: (fn: () => Promise<void> | void) => void;
}

export interface EventHandler<E extends ClientEventName> {
  schema: z.ZodType<Payload<E>>;
  resource: string;
  run: (ctx: EventContext, input: Payload<E>, target: AuditTarget) => Promise<AckData<E>>;
}

export type EventHandlers = { [E in ClientEventName]: EventHandler<E> };

export interface PipelineDeps {
  io: AppServer;
  sessions: RedisSessionStore;
  audit: AuditWriter;
  logger: Logger;
  handlers: EventHandlers;
  /** End a socket's session everywhere (sends `session:expired`, disconnects). */
  expire: (socket: AppSocket) => void;
  /** Roles whose sessions need a second factor before any event (the rule lives in auth/mfa.gate.ts). */
  mfaRequiredRoles?: ReadonlySet<Role>;
  /** Count one event against this connection's budget (Redis, shared by every node). */
  eventBudget?: (socketId: string) => Promise<HitResult>;
  /** In-flight accounting for graceful shutdown; `enter` is false once the node drains. */
  drain: DrainGate;
  /** How long an event may wait for audit capacity (backpressure) before it is refused. */
  auditWaitMs: number;
}

/** Counts events being handled so a shutdown can wait for them; refuses new ones while draining. */
export class DrainGate {
  private count = 0;
  private draining = false;
  private waiters: Array<() => void> = [];

  enter(): boolean {
    if (this.draining) return false;
    this.count += 1;
    return true;
  }

  leave(): void {
    this.count -= 1;
    if (this.count === 0) this.waiters.splice(0).forEach((w) => w());
  }

  get inFlight(): number {
    return this.count;
  }

  /** Stop taking events and resolve once those under way are done (or after `timeoutMs`). */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    if (this.count === 0) return;
    await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

/**
 * The one path every inbound event takes: session re-check (which renews the idle timer:
 * an event is the user's own act) → rate limit → second-factor check → validation →
 * authorization inside the service → handler → audit entry stored → ack. Unknown events
 * and every refusal are audited too (a flood of rate-limited events: its first one).
 */
export function attachPipeline(socket: AppSocket, deps: PipelineDeps): void {
  const { sessions, audit, logger, handlers, io } = deps;
  const known = new Set(Object.keys(handlers));

  socket.onAny((event: string, ...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as (a: unknown) => void) : null;
    const payload = ack && args.length === 1 ? undefined : args[0];
    if (!deps.drain.enter()) {
      // This node is shutting down: drop the transport unanswered. The client reconnects
      // to another node and resends what was not acknowledged (idempotent by clientId).
      socket.conn.close();
      return;
    }
    void handle(event, payload, ack).finally(() => deps.drain.leave());
  });

  async function handle(event: string, payload: unknown, ack: ((a: unknown) => void) | null): Promise<void> {
    const data = socket.data;
    const actor: Actor = { userId: data.userId, role: data.role, sessionId: data.sessionId };
    const who = { userId: data.userId, role: data.role, ...data.meta };
    const reply = (a: unknown) => {
      if (ack) ack(a);
    };
    try {
      // Backpressure: while the audit buffer is full, wait (the client's event slows down);
      // past the limit refuse it before anything is done — and say so in the trail.
      try {
        await audit.waitForCapacity(deps.auditWaitMs);
      } catch (err) {
        await audit
          .record({ ...who, action: known.has(event) ? event : "socket:unknown", resource: "socket", outcome: "failure", reason: "AUDIT_BACKPRESSURE" })
          .catch(() => undefined);
        throw err;
      }
      const sess = await sessions.getAndTouch(data.sessionId);
      if (!sess) {
        await audit.record({
          ...who,
          action: known.has(event) ? event : "socket:unknown",
          resource: "socket",
          outcome: "denied",
          reason: "SESSION_EXPIRED",
        });
        reply({ ok: false, error: { code: "SESSION_EXPIRED", message: "your session has ended; sign in again" } });
        deps.expire(socket);
        return;
      }
      const action = known.has(event) ? event : "socket:unknown";
      if (deps.eventBudget) {
        const budget = await deps.eventBudget(socket.id);
        if (!budget.allowed) {
          if (budget.firstRefusal) await audit.record({ ...who, action, resource: "socket", outcome: "denied", reason: "RATE_LIMITED" });
          reply({ ok: false, error: { code: "RATE_LIMITED", message: "too many events; slow down" } });
          return;
        }
      }
      if (deps.mfaRequiredRoles && needsSecondFactor(deps.mfaRequiredRoles, sess)) {
        await audit.record({ ...who, action, resource: "socket", outcome: "denied", reason: "MFA_ENROLLMENT_REQUIRED" });
        reply({ ok: false, error: { code: "MFA_ENROLLMENT_REQUIRED", message: "set up multi-factor sign-in before using the clinic" } });
        return;
      }
      // A socket opened by a password-only session was kept out of its user room (no
      // pushes); once the session has its second factor, it joins.
      if (!socket.rooms.has(rooms.user(data.userId))) await socket.join(rooms.user(data.userId));
      if (!known.has(event)) {
        await audit.record({ ...who, action: "socket:unknown", resource: "socket", outcome: "failure", reason: "UNKNOWN_EVENT" });
        reply({ ok: false, error: { code: "UNKNOWN_EVENT", message: "unknown event" } });
        return;
      }
      const name = event as ClientEventName;
      const handler = handlers[name] as unknown as EventHandler<ClientEventName>;
      const after: Array<() => Promise<void> | void> = [];
      const result = await audited(audit, name, actor, data.meta, { resource: handler.resource }, async (target) => {
        if (!ack) throw new AppError("BAD_REQUEST", "every event needs an acknowledgement callback");
        const input = parseInput(handler.schema, payload);
        return handler.run({ actor, socket, io, disclose, afterAudit: (fn) => void after.push(fn) }, input, target);
      });
      for (const fn of after) await fn();
      reply({ ok: true, data: result });
    } catch (err) {
      const { body, known: isKnown } = toErrorBody(err);
      if (!isKnown) logger.error({ err, event: known.has(event) ? event : "unknown" }, "socket event failed");
      reply({ ok: false, error: body });
    }
  }

  async function disclose(recipients: string[], what: Pick<AuditInput, "action" | "resource" | "resourceId" | "patientId">) {
    await Promise.all(
      recipients.map((userId) =>
        audit.record({ ...what, userId, role: null, outcome: "success", reason: "pushed", ip: null, userAgent: null, requestId: socket.id }),
      ),
    );
  }
}
