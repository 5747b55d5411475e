import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) on node:crypto. The product uses the parameters
 * every authenticator app supports: HMAC-SHA1, 6 digits, 30-second steps, and accepts
 * one step either side for clock drift.
 */

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32, upper case, no padding (what otpauth:// URIs carry). */
export function base32Encode(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Decode base32 (case, spaces and padding ignored); throws on any other character. */
export function base32Decode(s: string): Buffer {
  const clean = s.replace(/[\s=]+/g, "").toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error("not a base32 string");
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export type HotpAlgorithm = "sha1" | "sha256" | "sha512";

/** RFC 4226 HOTP: dynamic truncation of HMAC(key, counter) to `digits` decimal digits. */
export function hotp(key: Buffer, counter: number, digits = TOTP_DIGITS, algorithm: HotpAlgorithm = "sha1"): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, "0");
}

/** The TOTP time step (RFC 6238 "T") for a moment. */
export const timeStep = (nowMs = Date.now(), stepSeconds = TOTP_STEP_SECONDS) => Math.floor(nowMs / 1000 / stepSeconds);

/** The code for a step (or for now). */
export function totpAt(secretBase32: string, step = timeStep()): string {
  return hotp(base32Decode(secretBase32), step);
}

/**
 * Check a code against the steps around now. Returns the matching step (so the caller
 * can refuse it ever again), or null. Every candidate is compared in constant time.
 */
export function verifyTotp(secretBase32: string, code: string, nowMs = Date.now(), window = TOTP_WINDOW): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const key = base32Decode(secretBase32);
  const now = timeStep(nowMs);
  const given = Buffer.from(code);
  let match: number | null = null;
  for (let step = now - window; step <= now + window; step++) {
    if (timingSafeEqual(Buffer.from(hotp(key, step)), given) && match === null) match = step;
  }
  return match;
}

/** A new secret: 160 bits, as RFC 4226 recommends for HMAC-SHA1. */
export const newTotpSecret = () => base32Encode(randomBytes(20));

/** `otpauth://` URI (Key Uri Format) that authenticator apps read from a QR code. */
export function otpauthUrl(opts: { secret: string; issuer: string; account: string }): string {
  const label = encodeURIComponent(`${opts.issuer}:${opts.account}`);
  // encodeURIComponent rather than URLSearchParams: some apps show a "+" for a space literally.
  const q = [
    ["secret", opts.secret],
    ["issuer", opts.issuer],
    ["algorithm", "SHA1"],
    ["digits", String(TOTP_DIGITS)],
    ["period", String(TOTP_STEP_SECONDS)],
  ]
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
    .join("&");
  return `otpauth://totp/${label}?${q}`;
}
