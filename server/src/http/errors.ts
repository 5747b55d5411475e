import type { ErrorBody, ErrorCode } from "@glp1/shared";
import { z } from "zod";

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  MFA_REQUIRED: 401,
  MFA_ENROLLMENT_REQUIRED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  TITRATION_RULE: 422,
  RATE_LIMITED: 429,
  UNKNOWN_EVENT: 400,
  SESSION_EXPIRED: 401,
  AUDIT_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An error that is part of the API: its code and message are safe to show (no PHI). */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: string[],
    readonly details?: Record<string, string | number | boolean>,
  ) {
    super(message);
    this.name = "AppError";
    this.status = STATUS[code];
  }
}

export const notFound = (what = "resource") => new AppError("NOT_FOUND", `${what} not found`);
export const forbidden = () => new AppError("FORBIDDEN", "you do not have access to this");

/** Parse input with a shared schema; failures name the fields, never echo the values. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fields = [...new Set(r.error.issues.map((i) => (i.path.length ? i.path.join(".") : "(root)")))];
  const first = r.error.issues[0];
  const detail = first ? `${first.path.length ? first.path.join(".") : "input"}: ${first.message}` : "invalid input";
  throw new AppError("VALIDATION_FAILED", `invalid input (${detail})`, fields);
}

/** Map anything thrown to the one error shape. Unknown errors become INTERNAL. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody; known: boolean } {
  if (err instanceof AppError) {
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.fields) body.fields = err.fields;
    if (err.details) body.details = err.details;
    return { status: err.status, body, known: true };
  }
  const e = err as { type?: string; status?: number; expose?: boolean };
  // body-parser errors: malformed JSON, too large, wrong charset.
  if (e?.type === "entity.too.large") return { status: 413, body: { code: "PAYLOAD_TOO_LARGE", message: "request body is too large" }, known: true };
  if (e?.type === "entity.parse.failed") return { status: 400, body: { code: "BAD_REQUEST", message: "request body is not valid JSON" }, known: true };
  if (e?.expose && typeof e.status === "number" && e.status >= 400 && e.status < 500) {
    return { status: e.status, body: { code: "BAD_REQUEST", message: "bad request" }, known: true };
  }
  return { status: 500, body: { code: "INTERNAL", message: "something went wrong; it has been logged" }, known: false };
}
