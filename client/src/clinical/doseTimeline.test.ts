import type { Reading } from "@glp1/shared";
import { describe, expect, it } from "vitest";
import { doseChart, doseTimeline } from "./doseTimeline.js";

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString();
let id = 0;
const dose = (n: number, drug: string, mg: number): Reading =>
  ({ id: String(++id), kind: "dose", value: { drug, mg, site: "abdomen" }, unit: "mg", observedAt: day(n), entered: { value: { drug, mg, site: "abdomen" }, unit: "mg" } }) as unknown as Reading;
const weight = (n: number): Reading => ({ id: String(++id), kind: "weight", value: 100, unit: "kg", observedAt: day(n), entered: { value: 100, unit: "kg" } }) as unknown as Reading;

describe("doseTimeline (unit)", () => {
  it("folds weekly doses of one strength into a step and starts a new one at each titration", () => {
    const rs = [dose(0, "semaglutide", 0.25), dose(7, "semaglutide", 0.25), weight(8), dose(14, "semaglutide", 0.25), dose(21, "semaglutide", 0.25), dose(28, "semaglutide", 0.5), dose(35, "semaglutide", 0.5)];
    expect(doseTimeline([...rs].reverse())).toEqual([
      { type: "step", drug: "semaglutide", mg: 0.25, from: Date.parse(day(0)), to: Date.parse(day(21)), doses: 4 },
      { type: "step", drug: "semaglutide", mg: 0.5, from: Date.parse(day(28)), to: Date.parse(day(35)), doses: 2 },
    ]);
  });

  it("shows a pause of two or more weekly doses as a gap, and the step resumed after it as a new step", () => {
    const ev = doseTimeline([dose(0, "tirzepatide", 5), dose(7, "tirzepatide", 5), dose(13, "tirzepatide", 5), dose(35, "tirzepatide", 5)]);
    expect(ev.map((e) => e.type)).toEqual(["step", "gap", "step"]);
    expect(ev[0]).toMatchObject({ doses: 3 });
    expect(ev[1]).toEqual({ type: "gap", from: Date.parse(day(13)), to: Date.parse(day(35)), days: 22 });
    expect(ev[2]).toMatchObject({ mg: 5, doses: 1 });
    // 14 days is one missed weekly dose, 20 days still not two: no gap; 21 days is two.
    expect(doseTimeline([dose(0, "tirzepatide", 5), dose(14, "tirzepatide", 5), dose(34, "tirzepatide", 5)]).map((e) => e.type)).toEqual(["step"]);
    expect(doseTimeline([dose(0, "tirzepatide", 5), dose(21, "tirzepatide", 5)]).map((e) => e.type)).toEqual(["step", "gap", "step"]);
  });

  it("has nothing for a patient without doses, and charts one mg series per drug", () => {
    expect(doseTimeline([weight(1)])).toEqual([]);
    const c = doseChart([dose(0, "semaglutide", 0.25), dose(7, "tirzepatide", 2.5), weight(3)]);
    expect(c.drugs).toEqual(["semaglutide", "tirzepatide"]);
    expect(c.values).toEqual([
      [0.25, null],
      [null, 2.5],
    ]);
    expect(c.times).toEqual([Date.parse(day(0)), Date.parse(day(7))]);
  });
});
