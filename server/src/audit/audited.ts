import type { Role } from "@glp1/shared";
import { AppError } from "../http/errors.js";
import type { AuditWriter } from "./audit.writer.js";

/** Who is acting, as established by the session (never by the request body). */
export interface Actor {
  userId: string;
  role: Role;
  sessionId: string;
}

/** Where the act came from, for the audit trail. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** What an act touched; services fill in ids as they learn them. */
export interface AuditTarget {
  resource: string;
  resourceId?: string | null;
  patientId?: string | null;
  /** For acts with no session yet (login): the account the act was about. */
  userId?: string | null;
  role?: string | null;
  /** A more precise code than the error's (`LOCKED_OUT` behind INVALID_CREDENTIALS, say). */
  reason?: string | null;
}

const DENIED = new Set(["FORBIDDEN", "UNAUTHENTICATED", "SESSION_EXPIRED", "MFA_ENROLLMENT_REQUIRED", "RATE_LIMITED"]);

/**
 * Run an act and audit it, success or not; the act's result is returned only after its
 * entry is stored (fail closed). REST routes and socket handlers both go through here.
 */
export async function audited<T>(
  audit: AuditWriter,
  action: string,
  actor: Actor | null,
  meta: RequestMeta,
  target: AuditTarget,
  fn: (target: AuditTarget) => Promise<T>,
): Promise<T> {
  const base = {
    action,
    userId: actor?.userId ?? null,
    role: actor?.role ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
  };
  let result: T;
  try {
    result = await fn(target);
  } catch (err) {
    const code = err instanceof AppError ? err.code : "INTERNAL";
    await audit.record({
      ...base,
      ...target,
      outcome: DENIED.has(code) ? "denied" : "failure",
      reason: target.reason ?? code,
    });
    throw err;
  }
  await audit.record({ ...base, ...target, outcome: "success" });
  return result;
}
