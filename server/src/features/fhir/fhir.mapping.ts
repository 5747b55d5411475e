import { createHash } from "node:crypto";
import { LOINC, type Reading } from "@glp1/shared";

/** A FHIR R4 resource as plain JSON (validated in tests by an independent validator). */
export type FhirResource = { resourceType: string; id?: string } & Record<string, unknown>;

const LOINC_SYSTEM = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";
const OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";

const loinc = (c: { code: string; display: string }) => ({ coding: [{ system: LOINC_SYSTEM, code: c.code, display: c.display }], text: c.display });
const qty = (value: number, unit: string, code: string) => ({ value, unit, system: UCUM, code });
const category = (code: "vital-signs" | "laboratory" | "survey") => [{ coding: [{ system: OBS_CATEGORY, code }] }];

/** One reading as FHIR: an Observation (LOINC where one exists) or a MedicationAdministration for a dose. */
export function readingToFhir(r: Reading, patientRef: string): FhirResource {
  const base = { id: r.id, status: "final", subject: { reference: patientRef }, effectiveDateTime: r.observedAt, issued: r.createdAt };
  switch (r.kind) {
    case "weight":
      return { resourceType: "Observation", ...base, category: category("vital-signs"), code: loinc(LOINC.weight), valueQuantity: qty(r.value as number, "kg", "kg") };
    case "waist":
      return { resourceType: "Observation", ...base, category: category("vital-signs"), code: loinc(LOINC.waist), valueQuantity: qty(r.value as number, "cm", "cm") };
    case "heart_rate":
      return { resourceType: "Observation", ...base, category: category("vital-signs"), code: loinc(LOINC.heart_rate), valueQuantity: qty(r.value as number, "/min", "/min") };
    case "glucose":
      return { resourceType: "Observation", ...base, category: category("laboratory"), code: loinc(LOINC.glucose), valueQuantity: qty(r.value as number, "mg/dL", "mg/dL") };
    case "hba1c":
      return { resourceType: "Observation", ...base, category: category("laboratory"), code: loinc(LOINC.hba1c), valueQuantity: qty(r.value as number, "%", "%") };
    case "bp": {
      const v = r.value as { systolic: number; diastolic: number };
      return {
        resourceType: "Observation",
        ...base,
        category: category("vital-signs"),
        code: loinc(LOINC.bpPanel),
        component: [
          { code: loinc(LOINC.systolic), valueQuantity: qty(v.systolic, "mmHg", "mm[Hg]") },
          { code: loinc(LOINC.diastolic), valueQuantity: qty(v.diastolic, "mmHg", "mm[Hg]") },
        ],
      };
    }
    case "phq9": {
      const v = r.value as { score: number; item9: number | null };
      return { resourceType: "Observation", ...base, category: category("survey"), code: loinc(LOINC.phq9), valueInteger: v.score };
    }
    case "gi": {
      const v = r.value as Record<string, number>;
      return {
        resourceType: "Observation",
        ...base,
        category: category("survey"),
        code: { text: "GI symptom severity (0-10 each)" },
        component: Object.entries(v).map(([symptom, score]) => ({ code: { text: symptom.replace("_", " ") }, valueInteger: score })),
      };
    }
    case "symptom":
      return {
        resourceType: "Observation",
        ...base,
        category: category("survey"),
        code: { text: "Reported symptoms" },
        valueCodeableConcept: { text: (r.value as { codes: string[] }).codes.join(", ") },
      };
    case "dose": {
      const v = r.value as { drug: string; mg: number; site: string };
      return {
        resourceType: "MedicationAdministration",
        id: r.id,
        status: "completed",
        medicationCodeableConcept: { text: v.drug },
        subject: { reference: patientRef },
        effectiveDateTime: r.observedAt,
        dosage: { site: { text: v.site.replace("_", " ") }, route: { text: "subcutaneous" }, dose: qty(v.mg, "mg", "mg") },
      };
    }
  }
}

export function patientToFhir(p: { id: string; name: string; birthDate?: string | null }): FhirResource {
  const parts = p.name.trim().split(/\s+/);
  const family = parts.length > 1 ? parts.at(-1)! : p.name;
  const given = parts.length > 1 ? parts.slice(0, -1) : [];
  return {
    resourceType: "Patient",
    id: p.id,
    identifier: [{ system: "urn:glp1-care:patient", value: p.id }],
    name: [{ text: p.name, family, ...(given.length ? { given } : {}) }],
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
  };
}

/**
 * A stable urn:uuid for a resource (a name-based UUID of its type and id), so references
 * inside the Bundle resolve to entries' fullUrls and an export is reproducible.
 */
export function fullUrlOf(resourceType: string, id: string): string {
  const h = createHash("sha1").update(`glp1-care/${resourceType}/${id}`).digest("hex");
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A `collection` Bundle; every entry's fullUrl is the urn the other entries reference. */
export function bundle(resources: FhirResource[]): FhirResource {
  return {
    resourceType: "Bundle",
    type: "collection",
    timestamp: new Date().toISOString(),
    entry: resources.map((resource) => ({ fullUrl: fullUrlOf(resource.resourceType, resource.id ?? ""), resource })),
  };
}
