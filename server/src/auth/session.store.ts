import session from "express-session";
import type { Redis } from "ioredis";
import type { Role } from "@glp1/shared";

declare module "express-session" {
  interface SessionData {
    userId: string;
    role: Role;
    /** Epoch ms of login; the absolute lifetime counts from here. */
    createdAt: number;
    ip: string | null;
    userAgent: string | null;
  }
}

export type StoredSession = session.SessionData & { cookie: session.Cookie };

export interface SessionStoreOptions {
  idleTimeoutMs: number;
  absoluteLifetimeMs: number;
  prefix?: string;
}

/**
 * express-session store on ioredis. A session key lives for the idle timeout and each
 * user-initiated touch pushes it out again, never past the absolute lifetime; when the
 * key is gone the session is over, on every node at once. Each user's session ids are
 * indexed so all of them can be listed or ended together.
 */
export class RedisSessionStore extends session.Store {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly opts: SessionStoreOptions,
  ) {
    super();
    this.prefix = opts.prefix ?? "sess:";
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
    }
    multi.exec().then(() => cb?.(), (err) => cb?.(err));
  }

  override touch(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    this.redis.pexpire(this.key(sid), this.ttlFor(sess as StoredSession)).then(() => cb?.(), (err) => cb?.(err));
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
    const alive = await this.redis.pexpire(this.key(sid), this.ttlFor(sess));
    return alive === 1 ? sess : null;
  }

  /** Which of these session ids are still alive (one round trip). */
  async alive(sids: string[]): Promise<Set<string>> {
    if (sids.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const sid of sids) pipeline.exists(this.key(sid));
    const results = (await pipeline.exec()) ?? [];
    return new Set(sids.filter((_, i) => results[i]?.[1] === 1));
  }

  async end(sid: string): Promise<void> {
    const sess = await this.peek(sid).catch(() => null);
    const multi = this.redis.multi().del(this.key(sid));
    if (sess?.userId) multi.srem(this.userKey(sess.userId), sid);
    await multi.exec();
  }

  /** Live session ids of a user (stale index entries are pruned on the way). */
  async sessionsOf(userId: string): Promise<string[]> {
    const sids = await this.redis.smembers(this.userKey(userId));
    const live = await this.alive(sids);
    const dead = sids.filter((s) => !live.has(s));
    if (dead.length > 0) await this.redis.srem(this.userKey(userId), ...dead);
    return [...live];
  }
}
