import { pino, type Logger } from "pino";

/**
 * Structured JSON logs. Anything that could hold PHI, credentials or a session id is
 * redacted by path, and request logs carry only method, route and status — never bodies,
 * query strings or cookies.
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "email",
  "*.email",
  "name",
  "*.name",
  "body",
  "*.body",
  "totp",
  "*.totp",
  "cookie",
  "*.cookie",
  "headers.cookie",
  "req.headers.cookie",
  "sid",
  "*.sid",
  "sessionId",
  "*.sessionId",
];

/**
 * Error messages can quote the values that caused them (a driver echoing a key, a parser
 * echoing input), so logs keep the error's type, code and stack frames, never its message.
 */
export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const frames = (err.stack ?? "").split("\n").filter((l) => l.trimStart().startsWith("at "));
  const code = (err as { code?: unknown }).code;
  return { type: err.name, code: typeof code === "string" || typeof code === "number" ? code : undefined, stack: frames.slice(0, 8).join("\n") };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: { err: safeError },
    },
    destination,
  );
}

export type { Logger };
