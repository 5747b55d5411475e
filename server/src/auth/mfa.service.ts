import { randomBytes } from "node:crypto";
import type { MfaEnrollment } from "@glp1/shared";
import { AppError } from "../http/errors.js";
import { aadFor, type FieldCipher } from "../infra/crypto/fieldCipher.js";
import { base32Encode, newTotpSecret, otpauthUrl, TOTP_STEP_SECONDS, TOTP_WINDOW, verifyTotp } from "./totp.js";
import type { User, UserModel } from "./user.model.js";

export const RECOVERY_CODE_COUNT = 10;

/** Remembers the last TOTP step each user spent, so no code works twice (shared by every node). */
export interface StepGuard {
  /** True when `step` is later than any step this user has used; records it. */
  claim(userId: string, step: number): Promise<boolean>;
}

export interface MfaServiceDeps {
  users: UserModel;
  cipher: FieldCipher;
  issuer: string;
  /** Needed to verify codes; seeding (which only enrolls) may leave it out. */
  steps?: StepGuard;
  now?: () => number;
}

export type SecondFactor = { totp?: string | undefined; recoveryCode?: string | undefined };

/** `ok` (and how), `missing` (none given), `invalid` (wrong, replayed or used up). */
export type SecondFactorResult = { status: "ok"; via: "totp" | "recovery" } | { status: "missing" } | { status: "invalid" };

/** `abcde-fghij`: 50 random bits in base32, easy to type from paper. */
function newRecoveryCode(): string {
  const s = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/**
 * TOTP enrollment and verification. The secret is sealed with the FieldCipher (bound to
 * the user and field); recovery codes are stored as keyed HMACs bound to the user. They
 * are random 50-bit values, not passwords, so a keyed HMAC is as strong as bcrypt here and
 * lets one conditional `$pull` spend a code exactly once.
 */
export function createMfaService(deps: MfaServiceDeps) {
  const { users, cipher } = deps;
  const now = deps.now ?? Date.now;
  const seal = (id: unknown, field: "mfaSecret" | "mfaPending", secret: string) => cipher.seal(secret, aadFor("users", field, id));
  const open = (id: unknown, field: "mfaSecret" | "mfaPending", sealed: string) => cipher.open(sealed, aadFor("users", field, id));
  const recoveryHash = (userId: unknown, code: string) =>
    cipher.blindIndex(`mfa-recovery:${String(userId)}`, code.replace(/[\s-]+/g, "").toLowerCase());

  const codesFor = (userId: unknown) => {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    return { codes, hashes: codes.map((c) => recoveryHash(userId, c)) };
  };

  /**
   * Start (or restart) enrollment: a new secret and recovery codes, shown once, held as
   * pending until a first code confirms them. Refused when MFA is already active.
   */
  async function beginEnrollment(userId: string): Promise<MfaEnrollment> {
    const user = await users.findById(userId);
    if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
    if (user.mfaEnabled) throw new AppError("CONFLICT", "multi-factor sign-in is already active on this account");
    const secret = newTotpSecret();
    const { codes, hashes } = codesFor(user._id);
    const r = await users.updateOne(
      { _id: user._id, mfaEnabled: false },
      { $set: { mfaPending: seal(user._id, "mfaPending", secret), mfaPendingRecovery: hashes } },
    );
    if (r.modifiedCount !== 1) throw new AppError("CONFLICT", "multi-factor sign-in is already active on this account");
    return { secret, otpauthUrl: otpauthUrl({ secret, issuer: deps.issuer, account: user.email }), recoveryCodes: codes };
  }

  /** Activate the pending secret with a first code from the app. */
  async function confirmEnrollment(userId: string, totp: string): Promise<void> {
    const user = await users.findById(userId);
    if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
    if (user.mfaEnabled) throw new AppError("CONFLICT", "multi-factor sign-in is already active on this account");
    if (!user.mfaPending) throw new AppError("CONFLICT", "start enrollment first");
    const secret = open(user._id, "mfaPending", user.mfaPending);
    const step = verifyTotp(secret, totp, now());
    if (step === null || !(await claimStep(userId, step))) throw new AppError("VALIDATION_FAILED", "the code is not correct; check the time on your device", ["totp"]);
    const r = await users.updateOne(
      { _id: user._id, mfaEnabled: false, mfaPending: user.mfaPending },
      {
        $set: {
          mfaEnabled: true,
          mfaSecret: seal(user._id, "mfaSecret", secret),
          mfaRecovery: user.mfaPendingRecovery,
          mfaEnabledAt: new Date(now()),
          mfaPending: null,
          mfaPendingRecovery: [],
        },
      },
    );
    if (r.modifiedCount !== 1) throw new AppError("CONFLICT", "enrollment changed meanwhile; start again");
  }

  /** Enroll and activate a known secret in one go (demo seed, tests). Returns new recovery codes. */
  async function activateWithSecret(userId: string, secret: string): Promise<string[]> {
    const { codes, hashes } = codesFor(userId);
    const r = await users.updateOne(
      { _id: userId },
      {
        $set: {
          mfaEnabled: true,
          mfaSecret: seal(userId, "mfaSecret", secret.replace(/\s+/g, "").toUpperCase()),
          mfaRecovery: hashes,
          mfaEnabledAt: new Date(now()),
          mfaPending: null,
          mfaPendingRecovery: [],
        },
      },
    );
    if (r.matchedCount !== 1) throw new AppError("NOT_FOUND", "user not found");
    return codes;
  }

  async function claimStep(userId: string, step: number): Promise<boolean> {
    if (!deps.steps) throw new Error("MFA verification needs a step guard");
    return deps.steps.claim(userId, step);
  }

  /** Check a login's second factor for an account with MFA active. */
  async function verify(user: Pick<User, "_id" | "mfaEnabled" | "mfaSecret">, given: SecondFactor): Promise<SecondFactorResult> {
    if (given.recoveryCode) {
      // One conditional $pull: of two concurrent uses of a code, exactly one succeeds.
      const r = await users.updateOne({ _id: user._id, mfaEnabled: true, mfaRecovery: recoveryHash(user._id, given.recoveryCode) }, {
        $pull: { mfaRecovery: recoveryHash(user._id, given.recoveryCode) },
      });
      return r.modifiedCount === 1 ? { status: "ok", via: "recovery" } : { status: "invalid" };
    }
    if (!given.totp) return { status: "missing" };
    if (!user.mfaSecret) return { status: "invalid" };
    const step = verifyTotp(open(user._id, "mfaSecret", user.mfaSecret), given.totp, now());
    if (step === null) return { status: "invalid" };
    return (await claimStep(String(user._id), step)) ? { status: "ok", via: "totp" } : { status: "invalid" };
  }

  /**
   * New recovery codes for an account with MFA active, against a current TOTP code (which
   * is spent, like a login's). The old codes stop working in the same single-document
   * write that stores the new ones; the new ones are returned once and kept only as HMACs.
   */
  async function regenerateRecoveryCodes(userId: string, totp: string): Promise<{ status: "ok"; codes: string[] } | { status: "invalid" }> {
    const user = await users.findById(userId, { mfaEnabled: 1, mfaSecret: 1 }).lean();
    if (!user) throw new AppError("UNAUTHENTICATED", "no live session");
    if (!user.mfaEnabled || !user.mfaSecret) throw new AppError("CONFLICT", "multi-factor sign-in is not active on this account");
    const step = verifyTotp(open(user._id, "mfaSecret", user.mfaSecret), totp, now());
    if (step === null || !(await claimStep(userId, step))) return { status: "invalid" };
    const { codes, hashes } = codesFor(user._id);
    // Conditional on the same secret: a reset (or re-enrollment) meanwhile wins.
    const r = await users.updateOne({ _id: user._id, mfaEnabled: true, mfaSecret: user.mfaSecret }, { $set: { mfaRecovery: hashes } });
    if (r.matchedCount !== 1) throw new AppError("CONFLICT", "multi-factor sign-in changed meanwhile; try again");
    return { status: "ok", codes };
  }

  /**
   * Clear MFA on an account (an admin's reset: lost device, suspected compromise): secret,
   * pending enrollment and recovery codes all go. The account then signs in with its
   * password alone; a role that must use MFA is held at the gate until it enrolls again.
   * Null when there is no such account. Ending its sessions is the caller's part.
   */
  async function reset(userId: string): Promise<{ wasEnrolled: boolean; role: User["role"]; name: string } | null> {
    const user = await users.findById(userId, { mfaEnabled: 1, role: 1, name: 1 });
    if (!user) return null;
    await users.updateOne(
      { _id: user._id },
      { $set: { mfaEnabled: false, mfaSecret: null, mfaPending: null, mfaRecovery: [], mfaPendingRecovery: [], mfaEnabledAt: null } },
    );
    return { wasEnrolled: user.mfaEnabled, role: user.role, name: user.name };
  }

  /** Unused recovery codes left (for the account page). */
  const recoveryCodesLeft = (user: Pick<User, "mfaRecovery">) => user.mfaRecovery.length;

  return { beginEnrollment, confirmEnrollment, activateWithSecret, verify, recoveryCodesLeft, regenerateRecoveryCodes, reset };
}

export type MfaService = ReturnType<typeof createMfaService>;

/** How long a spent step must be remembered: past the end of the accepted window. */
export const STEP_MEMORY_MS = (2 * TOTP_WINDOW + 2) * TOTP_STEP_SECONDS * 1000;
