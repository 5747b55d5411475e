import { describe, expect, it } from "vitest";
import { base32Decode, base32Encode, hotp, otpauthUrl, timeStep, totpAt, verifyTotp } from "./totp.js";

describe("HOTP (RFC 4226 appendix D)", () => {
  const key = Buffer.from("12345678901234567890");
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  it.each(expected.map((code, counter) => [counter, code] as const))("counter %i gives %s", (counter, code) => {
    expect(hotp(key, counter)).toBe(code);
  });
});

describe("TOTP (RFC 6238 appendix B, 8 digits, 30 s)", () => {
  const seeds = {
    sha1: Buffer.from("12345678901234567890"),
    sha256: Buffer.from("12345678901234567890123456789012"),
    sha512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234"),
  } as const;
  const vectors: Array<[number, string, string, string]> = [
    [59, "94287082", "46119246", "90693936"],
    [1111111109, "07081804", "68084774", "25091201"],
    [1111111111, "14050471", "67062674", "99943326"],
    [1234567890, "89005924", "91819424", "93441116"],
    [2000000000, "69279037", "90698825", "38618901"],
    [20000000000, "65353130", "77737706", "47863826"],
  ];
  it.each(vectors)("at %i s: SHA1 %s, SHA256 %s, SHA512 %s", (t, sha1, sha256, sha512) => {
    const step = timeStep(t * 1000);
    expect(hotp(seeds.sha1, step, 8, "sha1")).toBe(sha1);
    expect(hotp(seeds.sha256, step, 8, "sha256")).toBe(sha256);
    expect(hotp(seeds.sha512, step, 8, "sha512")).toBe(sha512);
  });

  it("6-digit codes are the last six digits of the same value (SHA1 seed, base32)", () => {
    const secret = base32Encode(seeds.sha1);
    expect(secret).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    expect(totpAt(secret, timeStep(59_000))).toBe("287082");
  });
});

describe("verifyTotp", () => {
  const secret = base32Encode(Buffer.from("12345678901234567890"));
  const now = 1_111_111_111_000;
  const step = timeStep(now);

  it("accepts the current step and one either side, and says which step matched", () => {
    expect(verifyTotp(secret, totpAt(secret, step), now)).toBe(step);
    expect(verifyTotp(secret, totpAt(secret, step - 1), now)).toBe(step - 1);
    expect(verifyTotp(secret, totpAt(secret, step + 1), now)).toBe(step + 1);
  });

  it("refuses codes two steps away, malformed codes and wrong codes", () => {
    expect(verifyTotp(secret, totpAt(secret, step - 2), now)).toBeNull();
    expect(verifyTotp(secret, totpAt(secret, step + 2), now)).toBeNull();
    expect(verifyTotp(secret, "12345", now)).toBeNull();
    expect(verifyTotp(secret, "abcdef", now)).toBeNull();
    const wrong = String((Number(totpAt(secret, step)) + 1) % 1_000_000).padStart(6, "0");
    expect([step - 1, step + 1]).not.toContain(verifyTotp(secret, wrong, now) ?? -1);
  });
});

describe("base32 and otpauth", () => {
  it("round-trips any bytes and ignores case, spaces and padding", () => {
    for (const len of [0, 1, 5, 10, 20, 33]) {
      const b = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + len) & 255));
      expect(base32Decode(base32Encode(b)).equals(b)).toBe(true);
    }
    expect(base32Decode("jbsw y3dp ehpk 3pxp====").equals(base32Decode("JBSWY3DPEHPK3PXP"))).toBe(true);
    expect(() => base32Decode("JBSW1")).toThrow();
  });

  it("builds a Key Uri Format URI with issuer, SHA1, 6 digits and 30 s", () => {
    const url = new URL(otpauthUrl({ secret: "JBSWY3DPEHPK3PXP", issuer: "GLP-1 Care", account: "dr@example.test" }));
    expect(url.protocol).toBe("otpauth:");
    expect(url.host).toBe("totp");
    expect(decodeURIComponent(url.pathname)).toBe("/GLP-1 Care:dr@example.test");
    expect(Object.fromEntries(url.searchParams)).toEqual({ secret: "JBSWY3DPEHPK3PXP", issuer: "GLP-1 Care", algorithm: "SHA1", digits: "6", period: "30" });
  });
});
