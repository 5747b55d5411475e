import bcrypt from "bcrypt";
import { Types } from "mongoose";
import type { CreateUserInput, RegisterInput } from "@glp1/shared";
import { AppError } from "../http/errors.js";
import type { FieldCipher } from "../infra/crypto/fieldCipher.js";
import type { UserDoc, UserModel } from "./user.model.js";

/** One answer for every refused login: unknown email, wrong password, wrong code, locked account. */
export const invalidCredentials = () => new AppError("INVALID_CREDENTIALS", "email, password or code is incorrect");

export interface AuthServiceDeps {
  users: UserModel;
  cipher: FieldCipher;
  bcryptCost: number;
}

/**
 * Credentials and accounts. Lookups go through the email's blind index; the email itself
 * is sealed. Unknown emails cost one bcrypt comparison too, so the answer and its timing
 * do not tell whether an account exists.
 */
export function createAuthService(deps: AuthServiceDeps) {
  const { users, cipher, bcryptCost } = deps;
  let dummyHash: Promise<string> | null = null;
  const dummy = () => (dummyHash ??= bcrypt.hash("not-a-real-password-0000", bcryptCost));

  const emailIndex = (email: string) => cipher.blindIndex("email", email.trim().toLowerCase());

  async function verifyCredentials(email: string, password: string): Promise<UserDoc | null> {
    const user = await users.findOne({ emailIndex: emailIndex(email) });
    const hash = user?.passwordHash ?? (await dummy());
    const ok = await bcrypt.compare(password, hash);
    return ok && user && user.active ? user : null;
  }

  /** Looks up an account for a failed login's audit entry (no PHI, id only). */
  async function idForEmail(email: string): Promise<string | null> {
    const user = await users.findOne({ emailIndex: emailIndex(email) }, { _id: 1 }).lean();
    return user ? String(user._id) : null;
  }

  /** `passwordHash` lets a seed reuse one hash for many demo accounts. */
  async function createUser(input: CreateUserInput, opts: { passwordHash?: string } = {}): Promise<UserDoc> {
    const passwordHash = opts.passwordHash ?? (await bcrypt.hash(input.password, bcryptCost));
    try {
      return await users.create({
        role: input.role,
        name: input.name,
        email: input.email,
        emailIndex: emailIndex(input.email),
        passwordHash,
        active: true,
      });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw new AppError("CONFLICT", "an account with this email already exists");
      throw err;
    }
  }

  /**
   * Self-registration of a patient. An email already in use gets the same answer as a
   * new one (no enumeration); `created` tells the caller which happened, for the audit.
   */
  async function register(input: RegisterInput): Promise<{ user: UserDoc | null; created: boolean }> {
    try {
      return { user: await createUser({ ...input, role: "patient" }), created: true };
    } catch (err) {
      if (err instanceof AppError && err.code === "CONFLICT") return { user: null, created: false };
      throw err;
    }
  }

  const findById = (id: string) => users.findById(id);

  /**
   * Re-authenticate with the current password and set a new one. False when the current
   * password is wrong (nothing changes). Only the hash is written: no encrypted field.
   */
  async function changePassword(userId: string, currentPassword: string, newPassword: string): Promise<boolean> {
    const user = await users.findById(userId, { passwordHash: 1, active: 1 }).lean();
    const ok = await bcrypt.compare(currentPassword, user?.passwordHash ?? (await dummy()));
    if (!ok || !user?.active) return false;
    const passwordHash = await bcrypt.hash(newPassword, bcryptCost);
    const r = await users.updateOne({ _id: userId, passwordHash: user.passwordHash }, { $set: { passwordHash } });
    if (r.modifiedCount !== 1) throw new AppError("CONFLICT", "the password changed meanwhile; try again");
    return true;
  }

  /** Turn an account off (or on); `active` is not encrypted, so updateOne is fine. Null when no such user. */
  async function setActive(userId: string, active: boolean): Promise<UserDoc | null> {
    const r = await users.updateOne({ _id: userId }, { $set: { active } });
    return r.matchedCount === 1 ? users.findById(userId) : null;
  }

  /** An id shaped like a real one, for the no-enumeration answer to a taken email. */
  const placeholderId = () => String(new Types.ObjectId());

  return { verifyCredentials, idForEmail, createUser, register, emailIndex, findById, placeholderId, changePassword, setActive };
}

export type AuthService = ReturnType<typeof createAuthService>;
