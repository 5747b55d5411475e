// @vitest-environment node
import type { MetricKind, Reading } from "@glp1/shared";
import { describe, expect, it } from "vitest";
import { CHART_COLORS, GLUCOSE_GUIDES, chartData, isChartKind } from "./metricSeries.js";

let n = 0;
function reading(kind: MetricKind, value: unknown, observedAt: string, unit = "kg"): Reading {
  n += 1;
  return { id: `r${n}`, patientId: "p1", kind, value, unit, observedAt, source: "patient" } as unknown as Reading;
}

const log = [
  reading("weight", 92.4, "2026-11-01T08:00:00.000Z"),
  reading("bp", { systolic: 128, diastolic: 82 }, "2026-11-02T08:00:00.000Z", "mmHg"),
  reading("glucose", 50, "2026-11-03T08:00:00.000Z", "mg/dL"),
  reading("weight", 91.8, "2026-11-08T08:00:00.000Z"),
  reading("bp", { systolic: 124, diastolic: 80 }, "2026-11-09T08:00:00.000Z", "mmHg"),
  reading("dose", { drug: "tirzepatide", mg: 5, site: "abdomen" }, "2026-11-10T08:00:00.000Z", "mg"),
];

describe("chartData (one chart per measured kind)", () => {
  it("draws blood pressure as systolic and diastolic lines, from the blood pressure readings only", () => {
    const bp = chartData("bp", log);
    expect(bp.n).toBe(2);
    expect(bp.unit).toBe("mmHg");
    expect(bp.times).toEqual([Date.parse("2026-11-02T08:00:00.000Z"), Date.parse("2026-11-09T08:00:00.000Z")]);
    expect(bp.series).toEqual([
      { label: "Systolic", values: [128, 124], color: CHART_COLORS.systolic },
      { label: "Diastolic", values: [82, 80], color: CHART_COLORS.diastolic },
    ]);
  });

  it("draws glucose in mg/dL with the 70 and 54 guides", () => {
    const glucose = chartData("glucose", log);
    expect(glucose).toMatchObject({ n: 1, unit: "mg/dL", series: [{ label: "Glucose", values: [50] }] });
    expect(glucose.guides).toEqual(GLUCOSE_GUIDES);
  });

  it("draws weight in kg without guides", () => {
    const weight = chartData("weight", log);
    expect(weight).toMatchObject({ n: 2, unit: "kg", series: [{ label: "Weight", values: [92.4, 91.8] }] });
    expect(weight.guides).toBeUndefined();
  });

  it("charts measurements only (not doses, symptoms or check-ins)", () => {
    expect(["weight", "bp", "glucose", "waist", "heart_rate", "hba1c"].every((k) => isChartKind(k as MetricKind))).toBe(true);
    expect(["dose", "gi", "phq9", "symptom"].some((k) => isChartKind(k as MetricKind))).toBe(false);
  });
});
