import { z } from "zod";
import { ROLES } from "./roles.js";

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 10;

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .toLowerCase()
  .pipe(z.email({ message: "must be an email address" }));

/** A password as typed at login: any string up to the bcrypt limit. */
export const loginPasswordSchema = z
  .string()
  .min(1)
  .refine((p) => utf8Length(p) <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  });

/** A new password: long enough to matter, short enough for bcrypt to read it all. */
export const newPasswordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { message: `must be at least ${PASSWORD_MIN_LENGTH} characters` })
  .refine((p) => utf8Length(p) <= PASSWORD_MAX_BYTES, {
    message: `must be at most ${PASSWORD_MAX_BYTES} bytes`,
  });

export const nameSchema = z.string().trim().min(1).max(120);

export const loginSchema = z.strictObject({
  email: emailSchema,
  password: loginPasswordSchema,
  totp: z.string().regex(/^\d{6}$/).optional(),
});
export type LoginInput = z.infer<typeof loginSchema>;

export const registerSchema = z.strictObject({
  email: emailSchema,
  password: newPasswordSchema,
  name: nameSchema,
});
export type RegisterInput = z.infer<typeof registerSchema>;

export const createUserSchema = z.strictObject({
  role: z.enum(ROLES),
  email: emailSchema,
  password: newPasswordSchema,
  name: nameSchema,
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const objectIdSchema = z.string().regex(/^[0-9a-f]{24}$/, { message: "must be an id" });

export const careTeamSchema = z.strictObject({
  patientId: objectIdSchema,
  physicianIds: z.array(objectIdSchema).min(1).max(10),
});
export type CareTeamInput = z.infer<typeof careTeamSchema>;

/** What the API tells a client about a person. */
export interface PublicUser {
  id: string;
  role: (typeof ROLES)[number];
  name: string;
}

/** What `GET /api/auth/me` adds: when the idle timer runs out, so the client can warn. */
export interface SessionInfo {
  idleExpiresAt: string;
  absoluteExpiresAt: string;
  idleTimeoutMs: number;
}
