import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROLES, type Role } from "@glp1/shared";
import { z } from "zod";

/**
 * Every setting the server reads, parsed once. Nothing else in the server reads
 * process.env: tests build their own config with `buildConfig`.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, "must be a mongodb:// URI"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// URI"),
  DATA_DIR: z.string().default(".data"),
  APP_ORIGIN: z.string().url().optional(),
  ALLOWED_ORIGINS: z.string().optional(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  PHI_MASTER_KEY: z
    .string()
    .refine((k) => Buffer.from(k, "base64").length === 32, "must be 32 bytes, base64")
    .optional(),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  SESSION_IDLE_MINUTES: z.coerce.number().positive().default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().positive().default(12),
  SESSION_SWEEP_MS: z.coerce.number().int().min(50).default(5000),
  /** A SIGTERM that cannot finish in this long (say, the database stopped answering) exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(25_000),
  AUDIT_FLUSH_MS: z.coerce.number().int().min(0).max(1000).default(0),
  AUDIT_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
  AUDIT_HIGH_WATER: z.coerce.number().int().min(1).default(5000),
  AUDIT_MAX_QUEUE: z.coerce.number().int().min(1).default(50_000),
  AUDIT_WAIT_MS: z.coerce.number().int().min(0).default(5000),
  TRUST_PROXY: z.string().optional(),
  CLIENT_DIST: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  NODE_ID: z.string().optional(),
  ANOMALY_BULK_READS_MAX: z.coerce.number().int().min(1).default(30),
  ANOMALY_BULK_READS_WINDOW_MINUTES: z.coerce.number().positive().default(10),
  ANOMALY_OFF_HOURS_READS_MIN: z.coerce.number().int().min(1).default(10),
  ANOMALY_OFF_HOURS_WINDOW_MINUTES: z.coerce.number().positive().default(60),
  ANOMALY_LOGIN_FAILURES_MIN: z.coerce.number().int().min(1).default(10),
  ANOMALY_LOGIN_FAILURES_WINDOW_MINUTES: z.coerce.number().positive().default(5),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  APP_NAMESPACE: z.string().regex(/^[a-z0-9_-]{1,40}$/).default("glp1"),
  /** Roles that must complete a second factor before any PHI access; "" for none. */
  MFA_REQUIRED_ROLES: z
    .string()
    .default("physician,admin")
    .transform((s) => [...new Set(s.split(",").map((r) => r.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(ROLES))),
  MFA_ISSUER: z.string().min(1).max(60).default("GLP-1 Care"),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().positive().default(900),
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().positive().default(900),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(100),
  LOGIN_IP_WINDOW_SECONDS: z.coerce.number().positive().default(900),
  REGISTER_MAX_PER_IP: z.coerce.number().int().min(1).default(10),
  REGISTER_IP_WINDOW_SECONDS: z.coerce.number().positive().default(3600),
  SOCKET_EVENTS_MAX: z.coerce.number().int().min(1).default(120),
  SOCKET_EVENTS_WINDOW_SECONDS: z.coerce.number().positive().default(10),
  SOCKET_MAX_PER_USER: z.coerce.number().int().min(1).default(20),
  /** Dashboard pushes for a physician are coalesced over this window. */
  DASHBOARD_COALESCE_MS: z.coerce.number().int().min(10).max(5000).default(40),
  /** A patient message with no physician reply after this long enters the triage queue. */
  TRIAGE_SLA_MINUTES: z.coerce.number().positive().default(60),
  /** Clinic hours (local to CLINIC_TIMEZONE) and open weekdays (0 = Sunday); outside them patients get the after-hours reply. */
  CLINIC_HOURS: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, "must look like 08:00-18:00").default("08:00-18:00"),
  CLINIC_DAYS: z.string().regex(/^[0-6](,[0-6])*$/, "must be weekday numbers like 1,2,3,4,5").default("1,2,3,4,5"),
  CLINIC_TIMEZONE: z
    .string()
    .default("America/New_York")
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "must be an IANA time zone"),
  /** How long a break-glass grant lasts. */
  BREAK_GLASS_MINUTES: z.coerce.number().positive().max(24 * 60).default(60),
});

/** Clinic hours for the after-hours auto-reply. */
export interface ClinicHours {
  /** Minutes after local midnight. */
  openMinute: number;
  closeMinute: number;
  days: readonly number[];
  timeZone: string;
}

/** Budgets enforced in Redis (see `auth/limits.ts`). Windows in milliseconds. */
export interface RateLimits {
  /** Failed logins (wrong password or code) per account before a silent lockout. */
  loginMaxFailures: number;
  loginFailureWindowMs: number;
  /** How long a locked account answers every attempt with INVALID_CREDENTIALS. */
  loginLockoutMs: number;
  /** Failed logins per client IP before that IP gets 429 RATE_LIMITED. */
  loginMaxFailuresPerIp: number;
  loginIpWindowMs: number;
  registerMaxPerIp: number;
  registerIpWindowMs: number;
  /** Inbound socket events per connection per window. */
  socketEventsMax: number;
  socketEventsWindowMs: number;
  /** Open sockets per user, across every node. */
  socketMaxPerUser: number;
}

export interface Config {
  env: "development" | "test" | "production";
  host: string;
  port: number;
  mongoUri: string;
  redisUrl: string;
  dataDir: string;
  /** Origins a browser may call us from (REST writes and socket handshakes). */
  allowedOrigins: string[];
  sessionSecret: string;
  /** 32-byte key that wraps the field-encryption data keys. */
  masterKey: Buffer;
  bcryptCost: number;
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  sessionSweepMs: number;
  shutdownTimeoutMs: number;
  auditFlushMs: number;
  auditMaxBatch: number;
  /** Backpressure: above this many queued audit entries, new acts wait up to `auditWaitMs`. */
  auditHighWater: number;
  auditMaxQueue: number;
  auditWaitMs: number;
  trustProxy: string | false;
  secureCookies: boolean;
  clientDist: string | null;
  logLevel: string;
  nodeId: string;
  /** Thresholds of the audit-stream anomaly rules. */
  anomalyRules: {
    bulkReads: { windowMs: number; maxDistinctPatients: number };
    offHoursReads: { windowMs: number; minDistinctPatients: number };
    loginFailures: { windowMs: number; perAccount: number; perIp: number };
  };
  /** Certificate and key (PEM files) when the server terminates TLS itself. */
  tls: { certFile: string; keyFile: string } | null;
  /** Prefix of every Redis key and channel, so several deployments (or test runs) can share a Redis. */
  namespace: string;
  mfaRequiredRoles: readonly Role[];
  /** Issuer shown by authenticator apps. */
  mfaIssuer: string;
  rateLimits: Readonly<RateLimits>;
  dashboardCoalesceMs: number;
  triageSlaMs: number;
  clinicHours: Readonly<ClinicHours>;
  breakGlassMs: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

/** Development keeps generated secrets in DATA_DIR so restarts keep sessions and data readable. */
function devSecrets(dataDir: string): { sessionSecret: string; masterKey: string } {
  const file = path.join(dataDir, "dev-secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { sessionSecret: string; masterKey: string };
  mkdirSync(dataDir, { recursive: true });
  const secrets = {
    sessionSecret: randomBytes(32).toString("base64url"),
    masterKey: randomBytes(32).toString("base64"),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/** Parse an environment into a frozen Config, listing every problem at once. */
export function buildConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  let sessionSecret = e.SESSION_SECRET;
  let masterKey = e.PHI_MASTER_KEY;
  if (e.NODE_ENV === "production") {
    if (!sessionSecret) problems.push("SESSION_SECRET: required in production");
    if (!masterKey) problems.push("PHI_MASTER_KEY: required in production (32 bytes, base64)");
    if (!e.APP_ORIGIN) problems.push("APP_ORIGIN: required in production (the URL users open)");
  } else if (!sessionSecret || !masterKey) {
    const dev = devSecrets(e.DATA_DIR);
    sessionSecret ??= dev.sessionSecret;
    masterKey ??= dev.masterKey;
  }
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) problems.push("TLS_CERT_FILE and TLS_KEY_FILE: give both or neither");
  for (const f of [e.TLS_CERT_FILE, e.TLS_KEY_FILE]) if (f && !existsSync(f)) problems.push(`TLS file not found: ${f}`);
  if (problems.length > 0) throw new ConfigError(problems);

  const origins = new Set<string>();
  if (e.APP_ORIGIN) origins.add(new URL(e.APP_ORIGIN).origin);
  for (const o of (e.ALLOWED_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    origins.add(new URL(o).origin);
  }
  if (origins.size === 0) {
    origins.add(`http://localhost:${e.PORT}`);
    origins.add(`http://127.0.0.1:${e.PORT}`);
  }

  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    mongoUri: e.MONGODB_URI,
    redisUrl: e.REDIS_URL,
    dataDir: e.DATA_DIR,
    allowedOrigins: [...origins],
    sessionSecret: sessionSecret!,
    masterKey: Buffer.from(masterKey!, "base64"),
    bcryptCost: e.BCRYPT_COST,
    idleTimeoutMs: Math.round(e.SESSION_IDLE_MINUTES * 60_000),
    absoluteLifetimeMs: Math.round(e.SESSION_ABSOLUTE_HOURS * 3_600_000),
    sessionSweepMs: e.SESSION_SWEEP_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    auditFlushMs: e.AUDIT_FLUSH_MS,
    auditMaxBatch: e.AUDIT_MAX_BATCH,
    auditHighWater: e.AUDIT_HIGH_WATER,
    auditMaxQueue: Math.max(e.AUDIT_MAX_QUEUE, e.AUDIT_HIGH_WATER * 2),
    auditWaitMs: e.AUDIT_WAIT_MS,
    trustProxy: e.TRUST_PROXY ?? false,
    // Secure cookies (and HSTS) in production, and whenever this server speaks TLS itself.
    secureCookies: e.NODE_ENV === "production" || Boolean(e.TLS_CERT_FILE && e.TLS_KEY_FILE),
    clientDist: e.CLIENT_DIST ?? null,
    logLevel: e.LOG_LEVEL,
    nodeId: e.NODE_ID ?? `node-${randomBytes(4).toString("hex")}`,
    namespace: e.APP_NAMESPACE,
    anomalyRules: {
      bulkReads: { windowMs: e.ANOMALY_BULK_READS_WINDOW_MINUTES * 60_000, maxDistinctPatients: e.ANOMALY_BULK_READS_MAX },
      offHoursReads: { windowMs: e.ANOMALY_OFF_HOURS_WINDOW_MINUTES * 60_000, minDistinctPatients: e.ANOMALY_OFF_HOURS_READS_MIN },
      loginFailures: { windowMs: e.ANOMALY_LOGIN_FAILURES_WINDOW_MINUTES * 60_000, perAccount: e.ANOMALY_LOGIN_FAILURES_MIN, perIp: e.ANOMALY_LOGIN_FAILURES_MIN },
    },
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
    mfaRequiredRoles: Object.freeze([...e.MFA_REQUIRED_ROLES]),
    mfaIssuer: e.MFA_ISSUER,
    rateLimits: Object.freeze({
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      loginFailureWindowMs: Math.round(e.LOGIN_FAILURE_WINDOW_SECONDS * 1000),
      loginLockoutMs: Math.round(e.LOGIN_LOCKOUT_SECONDS * 1000),
      loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      loginIpWindowMs: Math.round(e.LOGIN_IP_WINDOW_SECONDS * 1000),
      registerMaxPerIp: e.REGISTER_MAX_PER_IP,
      registerIpWindowMs: Math.round(e.REGISTER_IP_WINDOW_SECONDS * 1000),
      socketEventsMax: e.SOCKET_EVENTS_MAX,
      socketEventsWindowMs: Math.round(e.SOCKET_EVENTS_WINDOW_SECONDS * 1000),
      socketMaxPerUser: e.SOCKET_MAX_PER_USER,
    }),
    dashboardCoalesceMs: e.DASHBOARD_COALESCE_MS,
    triageSlaMs: Math.round(e.TRIAGE_SLA_MINUTES * 60_000),
    clinicHours: Object.freeze(clinicHoursOf(e.CLINIC_HOURS, e.CLINIC_DAYS, e.CLINIC_TIMEZONE)),
    breakGlassMs: Math.round(e.BREAK_GLASS_MINUTES * 60_000),
  });
}

function clinicHoursOf(hours: string, days: string, timeZone: string): ClinicHours {
  const [open, close] = hours.split("-").map((hm) => {
    const [h, m] = hm.split(":").map(Number);
    return h! * 60 + m!;
  });
  return { openMinute: open!, closeMinute: close!, days: [...new Set(days.split(",").map(Number))], timeZone };
}
