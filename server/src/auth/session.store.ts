import { createHmac, hkdfSync } from "node:crypto";
import session from "express-session";
import type { Redis } from "ioredis";
import type { Role, SessionEndReason } from "@glp1/shared";

declare module "express-session" {
  interface SessionData {
    userId: string;
    role: Role;
    /** Epoch ms of login; the absolute lifetime counts from here. */
    createdAt: number;
    ip: string | null;
    userAgent: string | null;
    /** A second factor was given at login (or MFA was confirmed in this session). */
    mfa?: boolean;
  }
}

/** How long the reason a session was ended stays readable (longer than any sweep interval). */
const ENDED_NOTE_MS = 10 * 60_000;

export type StoredSession = session.SessionData & { cookie: session.Cookie };

export interface SessionStoreOptions {
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  prefix?: string;
  /** Keys the opaque session handles shown to users (the same on every node). */
  handleSecret?: string;
}

/** What `listOf` tells about one live session. */
export interface SessionSummary {
  sid: string;
  handle: string;
  createdAt: number | null;
  lastActivityAt: number | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * express-session store on ioredis. A session key lives for the idle timeout and each
 * user-initiated touch pushes it out again, never past the absolute lifetime; when the
 * key is gone the session is over, on every node at once. Each user's session ids are
 * indexed so all of them can be listed or ended together.
 */
export class RedisSessionStore extends session.Store {
  private readonly prefix: string;
  private readonly handleKey: Buffer;

  constructor(
    private readonly redis: Redis,
    private readonly opts: SessionStoreOptions,
  ) {
    super();
    this.prefix = opts.prefix ?? "sess:";
    this.handleKey = Buffer.from(hkdfSync("sha256", opts.handleSecret ?? "glp1-session-handles", Buffer.alloc(0), "glp1:session-handle:v1", 32));
  }

  /**
   * The opaque id a user sees for a session: a keyed HMAC of the session id, so it can
   * name a session in an API without being usable as a cookie.
   */
  handleOf(sid: string): string {
    return createHmac("sha256", this.handleKey).update(sid).digest("base64url").slice(0, 32);
  }

  /** Per-user hash of session id → last user-initiated activity (epoch ms). */
  private activityKey(userId: string): string {
    return `${this.prefix}act:${userId}`;
  }

  key(sid: string): string {
    return `${this.prefix}${sid}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  /** Milliseconds the key may live from now: the idle timeout, capped by the absolute end. */
  ttlFor(sess: Partial<StoredSession> | null | undefined, now = Date.now()): number {
    const created = sess?.createdAt ?? now;
    const left = created + this.opts.absoluteLifetimeMs - now;
    return Math.max(1, Math.min(this.opts.idleTimeoutMs, left));
  }

  private parse(raw: string | null, now = Date.now()): StoredSession | null {
    if (!raw) return null;
    const sess = JSON.parse(raw) as StoredSession;
    if (sess.createdAt && now >= sess.createdAt + this.opts.absoluteLifetimeMs) return null;
    return sess;
  }

  override get(sid: string, cb: (err: unknown, sess?: session.SessionData | null) => void): void {
    this.peek(sid).then((s) => cb(null, s), cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    const s = sess as StoredSession;
    const multi = this.redis.multi().set(this.key(sid), JSON.stringify(sess), "PX", this.ttlFor(s));
    if (s.userId) {
      multi.sadd(this.userKey(s.userId), sid).pexpire(this.userKey(s.userId), this.opts.absoluteLifetimeMs);
      multi.hset(this.activityKey(s.userId), sid, Date.now()).pexpire(this.activityKey(s.userId), this.opts.absoluteLifetimeMs);
    }
    multi.exec().then(() => cb?.(), (err) => cb?.(err));
  }

  /** A user's own request: renew the idle timer and note the activity, in one round trip. */
  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    this.renew(sid, sess as StoredSession).then(() => cb?.(), (err) => cb?.(err));
  }

  /** PEXPIRE (never resurrects a vanished key) + HSET of the activity time, pipelined. */
  private async renew(sid: string, sess: StoredSession): Promise<boolean> {
    const p = this.redis.pipeline().pexpire(this.key(sid), this.ttlFor(sess));
    if (sess.userId) p.hset(this.activityKey(sess.userId), sid, Date.now());
    const results = (await p.exec()) ?? [];
    return results[0]?.[1] === 1;
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.end(sid).then(() => cb?.(), (err) => cb?.(err));
  }

  /** Read a session without renewing it (handshakes, sweeps, server pushes). */
  async peek(sid: string): Promise<StoredSession | null> {
    return this.parse(await this.redis.get(this.key(sid)));
  }

  /** Read a session and renew its idle timer: only for a user's own requests and events. */
  async getAndTouch(sid: string): Promise<StoredSession | null> {
    const sess = await this.peek(sid);
    if (!sess) return null;
    // PEXPIRE on a key that vanished in between is a no-op, so this cannot resurrect it.
    return (await this.renew(sid, sess)) ? sess : null;
  }

  /** Which of these session ids are still alive (one round trip). */
  async alive(sids: string[]): Promise<Set<string>> {
    if (sids.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const sid of sids) pipeline.exists(this.key(sid));
    const results = (await pipeline.exec()) ?? [];
    return new Set(sids.filter((_, i) => results[i]?.[1] === 1));
  }

  /** Where the reason a session was ended is kept for a while (see `end`). */
  private endedKey(sid: string): string {
    return `${this.prefix}ended:${sid}`;
  }

  /**
   * End a session. With a `reason`, a short-lived note of it is left behind (in the same
   * transaction), so whichever node notices the session gone (idle sweep, a socket event
   * arriving in between) tells the user the same reason as the one that ended it.
   */
  async end(sid: string, reason?: SessionEndReason): Promise<void> {
    const sess = await this.peek(sid).catch(() => null);
    const multi = this.redis.multi().del(this.key(sid));
    if (reason) multi.set(this.endedKey(sid), reason, "PX", ENDED_NOTE_MS);
    if (sess?.userId) multi.srem(this.userKey(sess.userId), sid).hdel(this.activityKey(sess.userId), sid);
    await multi.exec();
  }

  /** Why each of these (ended) sessions was ended, for those ended on purpose in the last few minutes. */
  async endReasons(sids: string[]): Promise<Map<string, SessionEndReason>> {
    if (sids.length === 0) return new Map();
    const raws = await this.redis.mget(sids.map((s) => this.endedKey(s)));
    const out = new Map<string, SessionEndReason>();
    sids.forEach((sid, i) => {
      const r = raws[i];
      if (r) out.set(sid, r as SessionEndReason);
    });
    return out;
  }

  /** Live session ids of a user (stale index entries are pruned on the way). */
  async sessionsOf(userId: string): Promise<string[]> {
    const sids = await this.redis.smembers(this.userKey(userId));
    const live = await this.alive(sids);
    const dead = sids.filter((s) => !live.has(s));
    if (dead.length > 0) {
      await this.redis.multi().srem(this.userKey(userId), ...dead).hdel(this.activityKey(userId), ...dead).exec();
    }
    return [...live];
  }

  /** A user's live sessions with what the account page shows (two round trips). */
  async listOf(userId: string): Promise<SessionSummary[]> {
    const sids = await this.sessionsOf(userId);
    if (sids.length === 0) return [];
    const [raws, seen] = await Promise.all([this.redis.mget(sids.map((s) => this.key(s))), this.redis.hmget(this.activityKey(userId), ...sids)]);
    const out: SessionSummary[] = [];
    sids.forEach((sid, i) => {
      const sess = this.parse(raws[i] ?? null);
      if (!sess || sess.userId !== userId) return;
      out.push({
        sid,
        handle: this.handleOf(sid),
        createdAt: sess.createdAt ?? null,
        lastActivityAt: seen[i] ? Number(seen[i]) : null,
        ip: sess.ip ?? null,
        userAgent: sess.userAgent ?? null,
      });
    });
    return out.sort((a, b) => (b.lastActivityAt ?? 0) - (a.lastActivityAt ?? 0));
  }

  /** End every session of a user except `keep`; returns the ended session ids. */
  async endAllOf(userId: string, keep: string | null, reason: SessionEndReason): Promise<string[]> {
    const sids = (await this.sessionsOf(userId)).filter((s) => s !== keep);
    await Promise.all(sids.map((s) => this.end(s, reason)));
    return sids;
  }
}
