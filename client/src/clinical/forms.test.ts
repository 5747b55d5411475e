// @vitest-environment node
import { describe, expect, it } from "vitest";
import { answersFromForm, emptyForm, formFromAnswers, previewEligibility, validateIntake } from "./intakeForm.js";
import { checkReading, initialMetricForm, serverFieldErrors } from "./metricForm.js";

const filled = () => ({
  ...emptyForm(),
  heightCm: "170",
  weightKg: "95",
  conditions: [],
  contraindications: [],
  medications: [],
});

describe("intake form", () => {
  it("asks for the required answers without echoing what was typed", () => {
    const state = { ...emptyForm(), heightCm: "17o", weightKg: "9999" };
    const { errors, answers } = validateIntake(state);
    expect(answers).toBeNull();
    expect(errors.heightCm).toBe("Enter a number.");
    expect(errors.weightKg).toMatch(/between 20 and 400 kg/);
    expect(errors.conditions).toMatch(/None of these/);
    for (const message of Object.values(errors)) {
      expect(message).not.toContain("17o");
      expect(message).not.toContain("9999");
    }
  });

  it("takes a decimal comma as the reading log does (84,1 kg)", () => {
    const { errors, answers } = validateIntake({ ...filled(), weightKg: "84,1", heightCm: "170,5" });
    expect(errors).toEqual({});
    expect(answers).toMatchObject({ weightKg: 84.1, heightCm: 170.5 });
  });

  it("accepts a complete form and previews with the shared rules", () => {
    const { errors, answers } = validateIntake(filled());
    expect(errors).toEqual({});
    expect(answers?.heightCm).toBe(170);
    const preview = previewEligibility(filled());
    expect(preview?.bmi).toBe(32.9);
    expect(preview?.status).toBe("eligible");
    expect(previewEligibility({ ...filled(), contraindications: ["pancreatitis"] })?.status).toBe("not_eligible");
  });

  it("round-trips stored answers", () => {
    const answers = { heightCm: 170, weightKg: 95, conditions: ["hypertension"], contraindications: [], medications: [], suicidalThoughts: false };
    expect(answersFromForm(formFromAnswers(answers))).toEqual(answers);
  });
});

describe("metric form", () => {
  const now = new Date("2026-03-01T12:00:00Z");
  it("builds a reading the shared schema accepts", () => {
    const f = { ...initialMetricForm("2026-03-01T10:00"), kind: "glucose" as const, value: "50" };
    const r = checkReading(f, now.getTime());
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.reading).toMatchObject({ kind: "glucose", value: 50, unit: "mg/dL" });
  });

  it("refuses a time in the future and a missing number", () => {
    const f = { ...initialMetricForm("2030-01-01T10:00"), kind: "bp" as const, systolic: "120", diastolic: "" };
    const r = checkReading(f, now.getTime());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.observedAt).toMatch(/future/);
      expect(r.errors["value.diastolic"]).toBe("Enter a number.");
    }
  });

  it("maps the server's field errors", () => {
    expect(serverFieldErrors("weight", ["readings.0.value"], "readings.0.value is outside the possible range (20–400)")).toEqual({
      value: "Outside the possible range (20–400 kg).",
    });
    expect(serverFieldErrors("bp", ["readings.0.value.diastolic"], "readings.0.value: diastolic must be below systolic")).toEqual({
      "value.diastolic": "The lower number must be below the upper number.",
    });
  });
});
