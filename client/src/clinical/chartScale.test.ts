// @vitest-environment node
import { describe, expect, it } from "vitest";
import { DATE_TICK_INCRS, DAY_MS, MIN_SPAN_MS, timeAxisRange } from "./chartScale.js";

const at = Date.parse("2026-12-03T19:50:00Z");

describe("timeAxisRange (the charts' time axis)", () => {
  it("puts a lone reading in the middle of a two-day axis", () => {
    expect(timeAxisRange(at, at)).toEqual([at - DAY_MS, at + DAY_MS]);
  });

  it("widens readings taken minutes apart to two days around their middle", () => {
    const [min, max] = timeAxisRange(at, at + 90_000);
    expect(max! - min!).toBe(MIN_SPAN_MS);
    expect((min! + max!) / 2).toBe(at + 45_000);
    expect(min).toBeLessThan(at);
    expect(max).toBeGreaterThan(at + 90_000);
  });

  it("keeps the data's own range once it spans two days or more", () => {
    expect(timeAxisRange(at, at + MIN_SPAN_MS)).toEqual([at, at + MIN_SPAN_MS]);
    expect(timeAxisRange(at, at + 90 * DAY_MS)).toEqual([at, at + 90 * DAY_MS]);
  });

  it("leaves an empty scale alone", () => {
    expect(timeAxisRange(null, null)).toEqual([null, null]);
  });
});

describe("DATE_TICK_INCRS", () => {
  it("offers no tick spacing under a day (no ':00 :15 :30' minute ticks), ascending", () => {
    expect(Math.min(...DATE_TICK_INCRS)).toBe(DAY_MS);
    expect([...DATE_TICK_INCRS].sort((a, b) => a - b)).toEqual([...DATE_TICK_INCRS]);
  });
});
