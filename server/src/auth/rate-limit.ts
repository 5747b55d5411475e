import type { Redis } from "ioredis";

/**
 * Counters in Redis, so every node sees the same budget. Fixed windows: the first hit
 * starts the window (INCR + PEXPIRE in one Lua call, so a crash between the two cannot
 * leave a counter that never expires).
 */
const HIT = `
local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  t = tonumber(ARGV[1])
end
return {c, t}
`;

/** Add a member to a capped set (connections of a user); drop members older than maxAge first. */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** Remember a value only if it is greater than the one stored (TOTP steps: no replay). */
const CLAIM_GREATER = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

export interface HitResult {
  /** Hits in the current window, this one included. */
  count: number;
  /** Still within the limit. */
  allowed: boolean;
  /** The first hit over the limit in this window (audit that one, not every one of a flood). */
  firstRefusal: boolean;
  retryAfterMs: number;
}

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(name: string, id: string): string {
    return `${this.prefix}${name}:${id}`;
  }

  /** Count a hit against `limit` per `windowMs`. */
  async hit(name: string, id: string, limit: number, windowMs: number): Promise<HitResult> {
    const [count, ttl] = (await this.redis.eval(HIT, 1, this.key(name, id), Math.max(1, Math.round(windowMs)))) as [number, number];
    return { count, allowed: count <= limit, firstRefusal: count === limit + 1, retryAfterMs: ttl };
  }

  /** Hits so far in the current window (0 when none). */
  async count(name: string, id: string): Promise<number> {
    return Number((await this.redis.get(this.key(name, id))) ?? 0);
  }

  async reset(name: string, id: string): Promise<void> {
    await this.redis.del(this.key(name, id));
  }

  /** Set a flag for `ms` (a lockout). */
  async flag(name: string, id: string, ms: number): Promise<void> {
    await this.redis.set(this.key(name, id), "1", "PX", Math.max(1, Math.round(ms)));
  }

  async flagged(name: string, id: string): Promise<boolean> {
    return (await this.redis.exists(this.key(name, id))) === 1;
  }

  /** Take one of `max` slots (false when all are taken); entries older than `maxAgeMs` are stale. */
  async acquire(name: string, id: string, member: string, max: number, maxAgeMs: number): Promise<boolean> {
    const now = Date.now();
    const r = await this.redis.eval(ACQUIRE, 1, this.key(name, id), now - maxAgeMs, max, now, member, Math.round(maxAgeMs));
    return r === 1;
  }

  /** Mark held slots as still in use (only slots that exist; a released one stays released). */
  async touch(name: string, entries: Array<[id: string, member: string]>, ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    const pipe = this.redis.pipeline();
    for (const [id, member] of entries) {
      pipe.zadd(this.key(name, id), "XX", now, member);
      pipe.pexpire(this.key(name, id), Math.round(ttlMs));
    }
    await pipe.exec();
  }

  async release(name: string, id: string, member: string): Promise<void> {
    await this.redis.zrem(this.key(name, id), member);
  }

  /** Store `value` only if greater than the stored one; false means it was not (a replay). */
  async claimGreater(name: string, id: string, value: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(CLAIM_GREATER, 1, this.key(name, id), value, Math.round(ttlMs))) === 1;
  }
}
