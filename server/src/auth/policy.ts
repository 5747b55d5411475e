import type { Role } from "@glp1/shared";
import type { Actor } from "../audit/audited.js";
import { AppError, forbidden } from "../http/errors.js";

/** Only these roles may do this; anyone else is refused (and the refusal audited). */
export function requireRole(actor: Actor | null, ...roles: Role[]): Actor {
  if (!actor) throw new AppError("UNAUTHENTICATED", "sign in first");
  if (!roles.includes(actor.role)) throw forbidden();
  return actor;
}

/** A conversation is open to its patient and its physician, and to nobody else. */
export function assertParticipant(actor: Actor, conv: { patientId: unknown; physicianId: unknown }): void {
  const me = actor.userId;
  if (String(conv.patientId) !== me && String(conv.physicianId) !== me) throw forbidden();
}
