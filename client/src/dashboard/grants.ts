import type { PatientLookupResult } from "@glp1/shared";
import { shortId } from "../staff/useNow.js";

/** Who a grant is for, as a person reads it: the name, or the reference when the name is unknown. */
export function grantTitle(grant: { patientId: string; name?: string }): string {
  return grant.name?.trim() ? grant.name : `Patient ${shortId(grant.patientId)}`;
}

/** "8:57 PM": when the grant ends, in the clock format of the rest of the staff screens. */
export function formatEndsAt(expiresAt: string | number): string {
  return new Date(expiresAt).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
}

/**
 * The name of the patient the glass was broken for: the patient chosen in the lookup when
 * the reference is theirs; otherwise (a reference typed from a referral) the lookup by id,
 * which answers with the name. Undefined when it cannot be read: the record still opens.
 */
export async function resolveGrantName(
  patientId: string,
  picked: PatientLookupResult | null,
  lookupById: (id: string) => Promise<PatientLookupResult[]>,
): Promise<string | undefined> {
  if (picked && picked.id === patientId) return picked.name;
  try {
    return (await lookupById(patientId)).find((p) => p.id === patientId)?.name;
  } catch {
    return undefined;
  }
}
