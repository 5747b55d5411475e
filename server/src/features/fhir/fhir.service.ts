import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import type { UserModel } from "../../auth/user.model.js";
import { notFound } from "../../http/errors.js";
import type { ReadingModel } from "../metrics/metrics.model.js";
import { toReading } from "../metrics/metrics.service.js";
import { bundle, type FhirResource, fullUrlOf, patientToFhir, readingToFhir } from "./fhir.mapping.js";

/** Adds a feature's resources (intake, prescriptions) to a patient's export. */
export type FhirSection = (patientId: string, patientRef: string) => Promise<FhirResource[]>;

/**
 * FHIR R4 export of one patient's record: Patient, Observations (LOINC), and whatever
 * the other features contribute through `sections`. Readable by the patient (right of
 * access), their care team and admins; every export is audited.
 */
export function createFhirService(deps: { users: UserModel; readings: ReadingModel; access: Access; sections: FhirSection[] }) {
  async function exportPatient(actor: Actor, patientId: string, target: AuditTarget): Promise<FhirResource> {
    target.resource = "patient";
    target.resourceId = patientId;
    await deps.access.assertPatientAccess(actor, patientId, target, { admin: true });
    const user = await deps.users.findOne({ _id: patientId, role: "patient" });
    if (!user) throw notFound("patient");
    const ref = fullUrlOf("Patient", patientId);
    const readings = (await deps.readings.find({ patientId }).sort({ observedAt: 1 })).map(toReading);
    const extra = (await Promise.all(deps.sections.map((s) => s(patientId, ref)))).flat();
    return bundle([patientToFhir({ id: patientId, name: user.name }), ...readings.map((r) => readingToFhir(r, ref)), ...extra]);
  }
  return { exportPatient };
}

export type FhirService = ReturnType<typeof createFhirService>;
