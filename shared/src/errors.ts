/**
 * Every error code the API or a socket ack can answer with. Clients switch on these;
 * the message beside a code is for people and never carries PHI.
 */
export const ERROR_CODES = [
  "BAD_REQUEST",
  "VALIDATION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "UNAUTHENTICATED",
  "INVALID_CREDENTIALS",
  "MFA_REQUIRED",
  "MFA_ENROLLMENT_REQUIRED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "INVALID_TRANSITION",
  "TITRATION_RULE",
  "RATE_LIMITED",
  "UNKNOWN_EVENT",
  "SESSION_EXPIRED",
  "AUDIT_UNAVAILABLE",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Which fields failed validation (paths only, never the values). */
  fields?: string[];
  /** Machine-readable detail for a few codes (e.g. which titration rule, and whether it can be overridden). */
  details?: Record<string, string | number | boolean>;
}
