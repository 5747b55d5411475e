import type { RateLimits } from "../config/config.js";
import type { RateLimiter } from "./rate-limit.js";
import type { StepGuard } from "./mfa.service.js";
import { STEP_MEMORY_MS } from "./mfa.service.js";

/**
 * The product's budgets, by name, on one RateLimiter.
 *
 * Login: failed attempts count per account (keyed by the email's blind index, so an
 * unknown email is counted exactly like a real one) and per client IP. After
 * `loginMaxFailures` failures an account is locked for `loginLockoutMs`: every attempt
 * for it, even with the right password, answers INVALID_CREDENTIALS, the same answer
 * (and the same bcrypt work) as a wrong password or an unknown email, so a lockout
 * tells an attacker nothing about whether the account exists, nor when they guessed
 * right. An IP over its budget gets 429 RATE_LIMITED for every account; that says
 * nothing about any account either.
 */
/** How often a node re-marks its live sockets, and when an unmarked entry stops counting. */
export const SOCKET_REFRESH_MS = 60_000;
export const SOCKET_STALE_MS = 3 * SOCKET_REFRESH_MS;

export function createLimits(limiter: RateLimiter, cfg: Readonly<RateLimits>) {
  const login = {
    async ipBlocked(ip: string): Promise<boolean> {
      return (await limiter.count("login-ip", ip)) >= cfg.loginMaxFailuresPerIp;
    },
    async accountLocked(emailIndex: string): Promise<boolean> {
      return limiter.flagged("login-lock", emailIndex);
    },
    /** Count a failure; locks the account when it reaches the limit. */
    async failed(emailIndex: string, ip: string): Promise<void> {
      const [acct] = await Promise.all([
        limiter.hit("login-fail", emailIndex, cfg.loginMaxFailures, cfg.loginFailureWindowMs),
        limiter.hit("login-ip", ip, cfg.loginMaxFailuresPerIp, cfg.loginIpWindowMs),
      ]);
      if (acct.count >= cfg.loginMaxFailures) {
        await limiter.flag("login-lock", emailIndex, cfg.loginLockoutMs);
        await limiter.reset("login-fail", emailIndex);
      }
    },
    async succeeded(emailIndex: string): Promise<void> {
      await limiter.reset("login-fail", emailIndex);
    },
  };

  const register = (ip: string) => limiter.hit("register-ip", ip, cfg.registerMaxPerIp, cfg.registerIpWindowMs);

  /** One inbound event on a connection. */
  const socketEvent = (socketId: string) => limiter.hit("sock-ev", socketId, cfg.socketEventsMax, cfg.socketEventsWindowMs);

  /**
   * Sockets per user across nodes. Each node re-marks its live sockets every
   * SOCKET_REFRESH_MS, so the entries of a node that died (no disconnect ran) go stale
   * after SOCKET_STALE_MS and stop counting against the user.
   */
  const sockets = {
    acquire: (userId: string, socketId: string) => limiter.acquire("sock-user", userId, socketId, cfg.socketMaxPerUser, SOCKET_STALE_MS),
    release: (userId: string, socketId: string) => limiter.release("sock-user", userId, socketId),
    refresh: (live: Array<[userId: string, socketId: string]>) => limiter.touch("sock-user", live, SOCKET_STALE_MS),
    refreshEveryMs: SOCKET_REFRESH_MS,
  };

  const totpSteps: StepGuard = {
    claim: (userId, step) => limiter.claimGreater("totp-step", userId, step, STEP_MEMORY_MS),
  };

  return { login, register, socketEvent, sockets, totpSteps, config: cfg };
}

export type Limits = ReturnType<typeof createLimits>;
