import { INTAKE_QUESTIONNAIRE, LOINC } from "@glp1/shared";
import type { IntakeModel } from "../intake/index.js";
import { type PrescriptionModel, toPrescriptionView } from "../prescriptions/index.js";
import type { FhirResource } from "./fhir.mapping.js";
import type { FhirSection } from "./fhir.service.js";

const CODES = "urn:glp1-care:intake";
const loinc = (c: { code: string; display: string }) => ({ coding: [{ system: "http://loinc.org", code: c.code, display: c.display }], text: c.display });
const vital = [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] }];

function answerOf(type: string, value: unknown): Array<Record<string, unknown>> {
  if (value === null || value === undefined || value === "") return [];
  switch (type) {
    case "number":
      return [{ valueDecimal: value }];
    case "boolean":
      return [{ valueBoolean: value }];
    case "date":
      return [{ valueDate: value }];
    case "single":
      return [{ valueCoding: { system: CODES, code: value } }];
    case "multi":
      return (value as string[]).map((code) => ({ valueCoding: { system: CODES, code } }));
    default:
      return [{ valueString: String(value) }];
  }
}

/** Every intake version as a QuestionnaireResponse; the latest one's height, weight and BMI as Observations. */
export function intakeSection(intakes: IntakeModel): FhirSection {
  return async (patientId, patientRef) => {
    const docs = await intakes.find({ patientId }).sort({ version: 1 });
    const out: FhirResource[] = docs.map((d) => {
      const answers = JSON.parse(d.answers) as Record<string, unknown>;
      return {
        resourceType: "QuestionnaireResponse",
        id: String(d._id),
        questionnaire: `${CODES}:questionnaire:${d.questionnaireVersion}`,
        status: "completed",
        subject: { reference: patientRef },
        authored: d.createdAt.toISOString(),
        item: INTAKE_QUESTIONNAIRE.items
          .map((item) => ({ linkId: item.id, text: item.label, answer: answerOf(item.type, answers[item.id]) }))
          .filter((i) => i.answer.length > 0),
      };
    });
    const latest = docs.at(-1);
    if (latest) {
      const answers = JSON.parse(latest.answers) as { heightCm: number; weightKg: number };
      const { bmi } = JSON.parse(latest.assessment) as { bmi: number };
      const base = (suffix: string) => ({ id: `${String(latest._id)}-${suffix}`, status: "final", category: vital, subject: { reference: patientRef }, effectiveDateTime: latest.createdAt.toISOString() });
      const q = (value: number, unit: string, code: string) => ({ value, unit, system: "http://unitsofmeasure.org", code });
      out.push(
        { resourceType: "Observation", ...base("height"), code: loinc(LOINC.height), valueQuantity: q(answers.heightCm, "cm", "cm") },
        { resourceType: "Observation", ...base("weight"), code: loinc(LOINC.weight), valueQuantity: q(answers.weightKg, "kg", "kg") },
        { resourceType: "Observation", ...base("bmi"), code: loinc(LOINC.bmi), valueQuantity: q(bmi, "kg/m2", "kg/m2") },
      );
    }
    return out;
  };
}

const RX_STATUS = { draft: "draft", signed: "active", sent: "active", filled: "completed", cancelled: "cancelled" } as const;

/** Prescriptions as MedicationRequests (once weekly, subcutaneous). */
export function prescriptionSection(prescriptions: PrescriptionModel): FhirSection {
  return async (patientId, patientRef) => {
    const docs = await prescriptions.find({ patientId }).sort({ createdAt: 1 });
    return docs.map((doc) => {
      const p = toPrescriptionView(doc);
      return {
        resourceType: "MedicationRequest",
        id: p.id,
        status: RX_STATUS[p.status],
        intent: "order",
        medicationCodeableConcept: { text: p.drug },
        subject: { reference: patientRef },
        authoredOn: p.createdAt,
        requester: { identifier: { system: "urn:glp1-care:user", value: p.physicianId } },
        dosageInstruction: [
          {
            text: p.directions,
            timing: { repeat: { frequency: 1, period: 1, periodUnit: "wk" } },
            route: { text: "subcutaneous" },
            doseAndRate: [{ doseQuantity: { value: p.doseMg, unit: "mg", system: "http://unitsofmeasure.org", code: "mg" } }],
          },
        ],
        dispenseRequest: { numberOfRepeatsAllowed: p.refills, quantity: { value: p.quantity, unit: "pen" } },
      };
    });
  };
}
