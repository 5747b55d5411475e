import { describe, expect, it } from "vitest";
import { COHORT_ARMS, cohortArmOf, ladderSchedule, TRIAL_ARMS, trialCurvePct } from "./trials.js";

describe("trial curves (unit)", () => {
  it.each(COHORT_ARMS)("%s passes through the published value at its end point and plateaus", (arm) => {
    const a = TRIAL_ARMS[arm];
    expect(trialCurvePct(arm, 0)).toBe(0);
    expect(trialCurvePct(arm, a.endpointWeek)).toBeCloseTo(a.meanPctChange, 10);
    // Monotone, and flat near the end point: the last 8 weeks move < 5 % of the first 8.
    expect(trialCurvePct(arm, 20)).toBeLessThan(trialCurvePct(arm, 10));
    const early = Math.abs(trialCurvePct(arm, 8));
    const late = Math.abs(trialCurvePct(arm, a.endpointWeek) - trialCurvePct(arm, a.endpointWeek - 8));
    expect(late).toBeLessThan(early * 0.1);
    // A per-patient scale scales the end point; another tau keeps it.
    expect(trialCurvePct(arm, a.endpointWeek, { scale: 1.2, tauWeeks: a.tauWeeks * 1.1 })).toBeCloseTo(a.meanPctChange * 1.2, 10);
  });

  it("keeps the published end points", () => {
    expect(TRIAL_ARMS["semaglutide-2.4"]).toMatchObject({ endpointWeek: 68, meanPctChange: -14.9, placeboPctChange: -2.4 });
    expect(TRIAL_ARMS["tirzepatide-15"]).toMatchObject({ endpointWeek: 72, meanPctChange: -20.9, placeboPctChange: -3.1 });
    expect(TRIAL_ARMS["tirzepatide-10"].meanPctChange).toBe(-19.5);
    expect(TRIAL_ARMS["tirzepatide-5"].meanPctChange).toBe(-15.0);
  });

  it("reaches the maintenance dose at the label's week", () => {
    expect(ladderSchedule("semaglutide", 2.4).at(-1)).toEqual({ week: 16, mg: 2.4 });
    expect(ladderSchedule("tirzepatide", 5).at(-1)).toEqual({ week: 4, mg: 5 });
    expect(ladderSchedule("tirzepatide", 10).at(-1)).toEqual({ week: 12, mg: 10 });
    expect(ladderSchedule("tirzepatide", 15).at(-1)).toEqual({ week: 20, mg: 15 });
    expect(ladderSchedule("tirzepatide", 15, { 2: 4 }).map((s) => s.week)).toEqual([0, 4, 12, 16, 20, 24]);
  });

  it("puts a patient in the arm of the maintenance dose reached and held", () => {
    expect(cohortArmOf("tirzepatide", 15, [2.5, 5, 7.5, 10, 12.5, 15])).toBe("tirzepatide-15");
    expect(cohortArmOf("tirzepatide", 12.5, [2.5, 5, 7.5, 10, 12.5])).toBeNull();
    expect(cohortArmOf("tirzepatide", 10, [2.5, 5, 7.5, 10])).toBe("tirzepatide-10");
    expect(cohortArmOf("semaglutide", 2.4, [0.25, 0.5, 1, 1.7, 2.4])).toBe("semaglutide-2.4");
    expect(cohortArmOf("semaglutide", 1.7, [0.25, 0.5, 1, 1.7])).toBeNull();
  });
});
