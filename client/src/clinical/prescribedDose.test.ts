// @vitest-environment node
import type { PrescriptionView } from "@glp1/shared";
import { describe, expect, it } from "vitest";
import { FALLBACK_DOSE, checkReading, initialMetricForm, prescribedDose } from "./metricForm.js";

type Rx = Pick<PrescriptionView, "drug" | "doseMg" | "status" | "signedAt">;
const rx = (over: Partial<Rx>): Rx => ({ drug: "semaglutide", doseMg: 0.25, status: "signed", signedAt: "2026-10-01T10:00:00.000Z", ...over });

describe("prescribedDose (the dose log's default)", () => {
  it("is the current prescription's drug and dose: Zepbound 5 mg", () => {
    const list = [
      rx({ drug: "tirzepatide", doseMg: 5, status: "filled", signedAt: "2026-11-01T10:00:00.000Z" }),
      rx({ drug: "tirzepatide", doseMg: 2.5, status: "filled", signedAt: "2026-10-01T10:00:00.000Z" }),
    ];
    expect(prescribedDose(list)).toEqual({ drug: "tirzepatide", mg: "5" });
  });

  it("takes the most recently signed one, whatever order the list comes in", () => {
    const list = [
      rx({ drug: "semaglutide", doseMg: 0.5, signedAt: "2026-09-01T10:00:00.000Z" }),
      rx({ drug: "semaglutide", doseMg: 1, status: "sent", signedAt: "2026-11-20T10:00:00.000Z" }),
    ];
    expect(prescribedDose(list)).toEqual({ drug: "semaglutide", mg: "1" });
  });

  it("skips drafts, unsigned and cancelled prescriptions", () => {
    const list = [
      rx({ drug: "tirzepatide", doseMg: 7.5, status: "cancelled", signedAt: "2026-11-25T10:00:00.000Z" }),
      rx({ drug: "tirzepatide", doseMg: 10, status: "draft", signedAt: null }),
      rx({ drug: "semaglutide", doseMg: 1.7, status: "filled", signedAt: "2026-11-01T10:00:00.000Z" }),
    ];
    expect(prescribedDose(list)).toEqual({ drug: "semaglutide", mg: "1.7" });
  });

  it("is null with no prescription in force (the form keeps its Wegovy 0.25 mg default)", () => {
    expect(prescribedDose([])).toBeNull();
    expect(prescribedDose([rx({ status: "cancelled" })])).toBeNull();
    expect(initialMetricForm("2026-12-03T20:00")).toMatchObject({ drug: "semaglutide", mg: "0.25" });
  });

  it("gives a form that logs that dose as a valid reading", () => {
    const dose = prescribedDose([rx({ drug: "tirzepatide", doseMg: 5 })])!;
    const form = { ...initialMetricForm("2026-12-03T08:00", dose), kind: "dose" as const };
    expect(form).toMatchObject({ drug: "tirzepatide", mg: "5" });
    const check = checkReading(form, Date.parse("2026-12-04T00:00:00Z"));
    expect(check.ok && check.reading.value).toEqual({ drug: "tirzepatide", mg: 5, site: "abdomen" });
    expect(FALLBACK_DOSE).toEqual({ drug: "semaglutide", mg: "0.25" });
  });
});
