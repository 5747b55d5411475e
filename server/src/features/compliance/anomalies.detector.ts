import { type AnomalyRule, type AnomalyView, BREAK_GLASS_AUDIT_REASON } from "@glp1/shared";
import type { Redis } from "ioredis";
import { Types } from "mongoose";
import type { StoredAuditEntry } from "../../audit/audit.writer.js";
import type { UserModel } from "../../auth/user.model.js";
import type { ClinicHours } from "../../config/config.js";
import type { Logger } from "../../infra/logger.js";
import type { Notifier } from "../../realtime/notifier.js";
import { clinicOpen } from "../triage/index.js";
import { type AnomalyModel, toAnomalyView } from "./anomalies.model.js";

/** Thresholds and windows of the detector's rules. */
export interface AnomalyRules {
  /** More than `maxDistinctPatients` distinct patients touched by one user within `windowMs`. */
  bulkReads: { windowMs: number; maxDistinctPatients: number };
  /** At least `minDistinctPatients` distinct patients within `windowMs`, all outside clinic hours. */
  offHoursReads: { windowMs: number; minDistinctPatients: number };
  /** At least `perAccount` (or `perIp`) failed sign-ins within `windowMs`. */
  loginFailures: { windowMs: number; perAccount: number; perIp: number };
}

export const DEFAULT_ANOMALY_RULES: Readonly<AnomalyRules> = Object.freeze({
  bulkReads: { windowMs: 10 * 60_000, maxDistinctPatients: 30 },
  offHoursReads: { windowMs: 60 * 60_000, minDistinctPatients: 10 },
  loginFailures: { windowMs: 5 * 60_000, perAccount: 10, perIp: 10 },
});

/** Sign-in refusals that count as a failed attempt (not MFA_REQUIRED: the password was right). */
const LOGIN_FAILURE_REASONS = new Set(["INVALID_CREDENTIALS", "LOCKED_OUT", "MFA_INVALID", "IP_RATE_LIMITED"]);
const EMERGENCY_REASONS = new Set([BREAK_GLASS_AUDIT_REASON, "BREAK_GLASS_GRANTED"]);
const STAFF = new Set(["physician", "support", "admin"]);

interface Finding {
  rule: AnomalyRule;
  subject: string;
  userId: string | null;
  at: Date;
  windowMs: number;
  count: number;
  threshold: number;
  /** `max`: count is the window's current size; `inc`: each finding adds one. */
  mode: "max" | "inc";
}

export interface AnomalyDetectorDeps {
  anomalies: AnomalyModel;
  /** Reads a chain's stored entries after a seq (when a crashed node's were never examined). */
  readChain?: (chainId: string, afterSeq: number, limit: number) => Promise<StoredAuditEntry[]>;
  users: UserModel;
  redis: Redis;
  namespace: string;
  notifier: Pick<Notifier, "toUsers">;
  logger: Logger;
  clinicHours: Readonly<ClinicHours>;
  rules?: Partial<AnomalyRules>;
}

/**
 * Watches committed audit batches. Each node sees the entries its own writer stored; the
 * sliding windows live in Redis (one sorted set per rule and subject, scored by time), so
 * counts are the same whichever node an act went through. A rule that trips raises one
 * open anomaly per (rule, subject) — a sparse unique `openKey` makes that hold across
 * nodes — which grows while it stays open and is pushed to every admin when first raised.
 */
export function createAnomalyDetector(deps: AnomalyDetectorDeps) {
  const { anomalies, users, redis, namespace, notifier, logger } = deps;
  const rules: AnomalyRules = { ...DEFAULT_ANOMALY_RULES, ...deps.rules };
  const windowKey = (rule: AnomalyRule, subject: string) => `${namespace}:anom:${rule}:${subject}`;

  /** Add `member` at `at` to a sliding window and return how many members are inside it. */
  async function slide(key: string, member: string, at: number, windowMs: number): Promise<number> {
    const r = await redis
      .multi()
      .zadd(key, at, member)
      .zremrangebyscore(key, "-inf", at - windowMs)
      .zcard(key)
      .pexpire(key, windowMs)
      .exec();
    return Number(r?.[2]?.[1] ?? 0);
  }

  function findingsOf(e: StoredAuditEntry, out: Array<() => Promise<Finding | null>>): void {
    const at = e.at.getTime();
    const userId = e.userId ? String(e.userId) : null;
    const patientId = e.patientId ? String(e.patientId) : null;

    if (e.action === "auth:login" && e.outcome !== "success" && e.reason && LOGIN_FAILURE_REASONS.has(e.reason)) {
      const { windowMs, perAccount, perIp } = rules.loginFailures;
      const member = `${e.chainId}:${e.seq}`;
      if (userId) {
        out.push(async () => {
          const n = await slide(windowKey("login_failures_account", userId), member, at, windowMs);
          return n >= perAccount ? { rule: "login_failures_account", subject: userId, userId, at: e.at, windowMs, count: n, threshold: perAccount, mode: "max" } : null;
        });
      }
      if (e.ip) {
        const ip = e.ip;
        out.push(async () => {
          const n = await slide(windowKey("login_failures_ip", ip), member, at, windowMs);
          return n >= perIp ? { rule: "login_failures_ip", subject: ip, userId: null, at: e.at, windowMs, count: n, threshold: perIp, mode: "max" } : null;
        });
      }
      return;
    }

    if (!userId || !patientId || userId === patientId) return;
    if (e.outcome === "denied") {
      out.push(async () => ({ rule: "care_team_denied", subject: userId, userId, at: e.at, windowMs: 0, count: 1, threshold: 1, mode: "inc" }));
      return;
    }
    if (e.outcome !== "success") return;
    if (e.reason && EMERGENCY_REASONS.has(e.reason)) {
      out.push(async () => ({ rule: "break_glass", subject: userId, userId, at: e.at, windowMs: 0, count: 1, threshold: 1, mode: "inc" }));
    }
    // What a user asked for, not what the server pushed to them (live feeds are audited too, as "pushed").
    if (e.reason === "pushed" || (e.role !== null && !STAFF.has(e.role))) return;
    out.push(async () => {
      const { windowMs, maxDistinctPatients } = rules.bulkReads;
      const n = await slide(windowKey("bulk_patient_reads", userId), patientId, at, windowMs);
      return n > maxDistinctPatients ? { rule: "bulk_patient_reads", subject: userId, userId, at: e.at, windowMs, count: n, threshold: maxDistinctPatients + 1, mode: "max" } : null;
    });
    if (!clinicOpen(deps.clinicHours, e.at)) {
      out.push(async () => {
        const { windowMs, minDistinctPatients } = rules.offHoursReads;
        const n = await slide(windowKey("off_hours_bulk_reads", userId), patientId, at, windowMs);
        return n >= minDistinctPatients ? { rule: "off_hours_bulk_reads", subject: userId, userId, at: e.at, windowMs, count: n, threshold: minDistinctPatients, mode: "max" } : null;
      });
    }
  }

  /** Grow the open anomaly of this rule and subject, or raise a new one (and tell the admins). */
  async function raise(f: Finding): Promise<void> {
    const openKey = `${f.rule}|${f.subject}`;
    const grow = () =>
      anomalies.updateOne(
        { openKey },
        f.mode === "inc" ? { $inc: { count: 1 }, $max: { windowEnd: f.at, lastSeenAt: f.at } } : { $max: { count: f.count, windowEnd: f.at, lastSeenAt: f.at } },
      );
    if ((await grow()).matchedCount > 0) return;
    let created;
    try {
      created = await anomalies.create({
        rule: f.rule,
        subject: f.subject,
        userId: f.userId && Types.ObjectId.isValid(f.userId) ? new Types.ObjectId(f.userId) : null,
        windowStart: new Date(f.at.getTime() - f.windowMs),
        windowEnd: f.at,
        count: f.count,
        threshold: f.threshold,
        status: "open",
        openKey,
        createdAt: new Date(),
        lastSeenAt: f.at,
        closedBy: null,
        closedAt: null,
        resolution: null,
      });
    } catch (err) {
      // Another node (or batch) raised it first: this finding adds to that one.
      if ((err as { code?: number }).code === 11000) {
        await grow();
        return;
      }
      throw err;
    }
    const view: AnomalyView = toAnomalyView(created.toObject());
    const admins = await users.find({ role: "admin", active: true }, { _id: 1 }).lean();
    notifier.toUsers(admins.map((a) => String(a._id)), "anomaly:new", { anomaly: view });
    logger.warn({ anomalyId: view.id, rule: view.rule }, "audit anomaly raised");
  }

  const running = new Set<Promise<void>>();
  let closed = false;
  /** Batches are examined one after another, so "examined up to seq" is a true mark. */
  let tail: Promise<void> = Promise.resolve();

  /**
   * Evaluate one committed batch, in order. Errors are logged; detection never blocks the
   * audit. Once examined, the chain's mark moves to the batch's last entry.
   */
  function observe(entries: readonly StoredAuditEntry[]): Promise<void> {
    if (closed) return Promise.resolve();
    const run = (tail = tail.then(async () => {
      await evaluate(entries);
      const last = entries.at(-1);
      if (last && tracked.has(last.chainId)) await redis.set(markKey(last.chainId), String(last.seq)).catch(() => undefined);
    })).finally(() => running.delete(run));
    running.add(run);
    return run;
  }

  // ---- crash recovery: entries stored but never examined (the node died in between) ----
  const chainsKey = `${namespace}:anom:chains`;
  const markKey = (chainId: string) => `${namespace}:anom:mark:${chainId}`;
  const aliveKey = (chainId: string) => `${namespace}:anom:alive:${chainId}`;
  const lockKey = (chainId: string) => `${namespace}:anom:recover:${chainId}`;
  const CHAIN_ALIVE_MS = 30_000;
  const RECOVER_PAGE = 2000;
  const tracked = new Set<string>();
  let heartbeat: NodeJS.Timeout | null = null;

  /**
   * Follow this node's audit chain: it is announced (with a heartbeat), and its examined
   * mark kept, so that if the node dies another one examines what it left.
   */
  async function track(chainId: string, opts: { recoverEveryMs?: number } = {}): Promise<void> {
    tracked.add(chainId);
    const beat = () => redis.set(aliveKey(chainId), "1", "PX", CHAIN_ALIVE_MS);
    await redis.multi().sadd(chainsKey, chainId).set(markKey(chainId), "-1", "NX").exec();
    await beat();
    heartbeat = setInterval(() => {
      void beat().catch(() => undefined);
      void recover().catch((err: unknown) => logger.warn({ err }, "anomaly recovery failed"));
    }, opts.recoverEveryMs ?? CHAIN_ALIVE_MS / 3);
    heartbeat.unref();
  }

  /**
   * Examine the unexamined tail of every chain whose writer is gone (its heartbeat lapsed),
   * one node per chain at a time; a finished chain is forgotten. Returns how many entries
   * were examined. Re-examining an entry is harmless for the windowed rules (their window
   * members are keyed by entry or patient); a one-off rule may count it twice.
   */
  async function recover(): Promise<number> {
    if (!deps.readChain || closed) return 0;
    let examined = 0;
    for (const chainId of await redis.smembers(chainsKey)) {
      if (tracked.has(chainId) || (await redis.exists(aliveKey(chainId)))) continue;
      if ((await redis.set(lockKey(chainId), "1", "PX", 60_000, "NX")) !== "OK") continue;
      try {
        const mark = Number((await redis.get(markKey(chainId))) ?? -1);
        const rows = await deps.readChain(chainId, mark, RECOVER_PAGE);
        if (rows.length > 0) {
          await evaluate(rows);
          examined += rows.length;
          await redis.set(markKey(chainId), String(rows.at(-1)!.seq));
          logger.info({ chainId, entries: rows.length }, "examined audit entries a stopped node left");
        }
        if (rows.length < RECOVER_PAGE) await redis.multi().srem(chainsKey, chainId).del(markKey(chainId)).exec();
      } finally {
        await redis.del(lockKey(chainId));
      }
    }
    return examined;
  }

  async function evaluate(entries: readonly StoredAuditEntry[]): Promise<void> {
    const checks: Array<() => Promise<Finding | null>> = [];
    for (const e of entries) findingsOf(e, checks);
    for (const check of checks) {
      try {
        const f = await check();
        if (f) await raise(f);
      } catch (err) {
        logger.error({ err }, "anomaly check failed");
      }
    }
  }

  /** Start counting afresh for a rule and subject (when an anomaly about it is closed). */
  async function reset(rule: AnomalyRule, subject: string): Promise<void> {
    await redis.del(windowKey(rule, subject));
  }

  /**
   * Stop taking batches and wait for those being evaluated (before Redis closes). A chain
   * that ends cleanly is forgotten; one that does not is left for recovery.
   */
  async function close(): Promise<void> {
    closed = true;
    if (heartbeat) clearInterval(heartbeat);
    while (running.size > 0) await Promise.allSettled([...running]);
    for (const chainId of tracked) {
      await redis.multi().srem(chainsKey, chainId).del(markKey(chainId), aliveKey(chainId)).exec().catch(() => undefined);
    }
  }

  /** Wait until every batch handed over so far has been evaluated (tests). */
  async function settled(): Promise<void> {
    while (running.size > 0) await Promise.allSettled([...running]);
  }

  return { observe, track, recover, reset, close, settled, rules: rules as Readonly<AnomalyRules> };
}

export type AnomalyDetector = ReturnType<typeof createAnomalyDetector>;
