import type { ClientEventName, ClientToServerEvents, ServerToClientEvents } from "@glp1/shared";
import type { Server, Socket } from "socket.io";
import type { z } from "zod";
import { type Actor, type AuditTarget, audited, type RequestMeta } from "../audit/audited.js";
import type { AuditInput, AuditWriter } from "../audit/audit.writer.js";
import type { RedisSessionStore } from "../auth/session.store.js";
import { AppError, parseInput, toErrorBody } from "../http/errors.js";
import type { Logger } from "../infra/logger.js";

export interface SocketData {
  userId: string;
  role: Actor["role"];
  sessionId: string;
  meta: RequestMeta;
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
}

/**
 * The one path every inbound event takes: session re-check (which renews the idle timer:
 * an event is the user's own act) → validation → authorization inside the service →
 * handler → audit entry stored → ack. Unknown events and every refusal are audited too.
 */
export function attachPipeline(socket: AppSocket, deps: PipelineDeps): void {
  const { sessions, audit, logger, handlers, io } = deps;
  const known = new Set(Object.keys(handlers));

  socket.onAny((event: string, ...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as (a: unknown) => void) : null;
    const payload = ack && args.length === 1 ? undefined : args[0];
    void handle(event, payload, ack);
  });

  async function handle(event: string, payload: unknown, ack: ((a: unknown) => void) | null): Promise<void> {
    const data = socket.data;
    const actor: Actor = { userId: data.userId, role: data.role, sessionId: data.sessionId };
    const who = { userId: data.userId, role: data.role, ...data.meta };
    const reply = (a: unknown) => {
      if (ack) ack(a);
    };
    try {
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
      if (!known.has(event)) {
        await audit.record({ ...who, action: "socket:unknown", resource: "socket", outcome: "failure", reason: "UNKNOWN_EVENT" });
        reply({ ok: false, error: { code: "UNKNOWN_EVENT", message: "unknown event" } });
        return;
      }
      const name = event as ClientEventName;
      const handler = handlers[name] as unknown as EventHandler<ClientEventName>;
      const result = await audited(audit, name, actor, data.meta, { resource: handler.resource }, async (target) => {
        if (!ack) throw new AppError("BAD_REQUEST", "every event needs an acknowledgement callback");
        const input = parseInput(handler.schema, payload);
        return handler.run({ actor, socket, io, disclose }, input, target);
      });
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
