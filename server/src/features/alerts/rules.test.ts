import { describe, expect, it } from "vitest";
import { heartRateRise, instantFindings, missedDoses, rapidWeightLoss, severeGiDays, strongestPerKind } from "./rules.js";

const at = new Date("2026-06-01T08:00:00Z");
const day = 86_400_000;
const gi = (o: Partial<Record<string, number>>) => ({ nausea: 0, vomiting: 0, diarrhea: 0, constipation: 0, abdominal_pain: 0, ...o });

// Thresholds from CLINICAL.md "Red flags".
describe("instant red flags", () => {
  it.each([
    ["glucose 53 mg/dL (level 2)", "glucose", 53, "hypoglycemia_level2", "urgent"],
    ["glucose 54 mg/dL (level 1, not 2)", "glucose", 54, "hypoglycemia_level1", "high"],
    ["glucose 69 mg/dL (level 1)", "glucose", 69, "hypoglycemia_level1", "high"],
    ["glucose 70 mg/dL", "glucose", 70, null, null],
    ["BP 180/90", "bp", { systolic: 180, diastolic: 90 }, "hypertensive_crisis", "urgent"],
    ["BP 150/120", "bp", { systolic: 150, diastolic: 120 }, "hypertensive_crisis", "urgent"],
    ["BP 179/119", "bp", { systolic: 179, diastolic: 119 }, null, null],
    ["abdominal pain 7/10", "gi", gi({ abdominal_pain: 7, vomiting: 3 }), "pancreatitis", "urgent"],
    ["abdominal pain 6/10", "gi", gi({ abdominal_pain: 6 }), null, null],
    ["PHQ-9 item 9 = 1", "phq9", { score: 9, item9: 1 }, "suicidal_ideation", "urgent"],
    ["PHQ-9 item 9 = 0", "phq9", { score: 15, item9: 0 }, null, null],
    ["PHQ-9 total only", "phq9", { score: 22, item9: null }, null, null],
    ["RUQ pain, fever, jaundice", "symptom", { codes: ["ruq_pain_fever_jaundice"] }, "gallbladder", "urgent"],
    ["throat swelling", "symptom", { codes: ["face_throat_swelling"] }, "anaphylaxis", "urgent"],
    ["trouble breathing", "symptom", { codes: ["trouble_breathing"] }, "anaphylaxis", "urgent"],
    ["neck lump", "symptom", { codes: ["neck_lump"] }, "thyroid", "high"],
    ["hoarseness", "symptom", { codes: ["hoarseness"] }, "thyroid", "high"],
    ["little urine", "symptom", { codes: ["little_urine"] }, "dehydration", "high"],
    ["suicidal thoughts reported", "symptom", { codes: ["suicidal_thoughts"] }, "suicidal_ideation", "urgent"],
    ["a normal weight", "weight", 92.4, null, null],
  ])("%s", (_name, kind, value, expectKind, expectSeverity) => {
    const out = instantFindings({ kind, value: value as never, observedAt: at });
    if (expectKind === null) expect(out).toEqual([]);
    else expect(out).toEqual([expect.objectContaining({ kind: expectKind, severity: expectSeverity })]);
  });
});

describe("rapid weight loss (> 1.5 kg/week over 2+ weeks)", () => {
  const w = (kg: number, daysAgo: number) => ({ kg, at: new Date(at.getTime() - daysAgo * day) });
  it.each([
    ["3.2 kg in 2 weeks (1.6/week)", [w(100, 14)], 96.8, true],
    ["3.0 kg in 2 weeks (1.5/week, not faster)", [w(100, 14)], 97.0, false],
    ["4 kg in 10 days (too short a window)", [w(100, 10)], 96, false],
    ["7 kg in 4 weeks (1.75/week)", [w(100, 28)], 93, true],
    ["a gain", [w(90, 14)], 95, false],
    ["no earlier reading", [], 90, false],
  ])("%s", (_n, past, now, flagged) => {
    const f = rapidWeightLoss(past, { kg: now, at });
    expect(f !== null).toBe(flagged);
    if (f) expect(f).toMatchObject({ kind: "rapid_weight_loss", severity: "high" });
  });
});

describe("heart rate rise (≥ 20/min over baseline, sustained)", () => {
  it.each([
    ["two readings +20", 70, [90, 91], true],
    ["one reading +25, one +10", 70, [95, 80], false],
    ["single reading", 70, [100], false],
    ["+19 twice", 70, [89, 89], false],
    ["no baseline yet", null, [120, 120], false],
  ])("%s", (_n, baseline, recent, flagged) => {
    const f = heartRateRise(baseline as number | null, recent as number[]);
    expect(f !== null).toBe(flagged);
    if (f) expect(f.severity).toBe("medium");
  });
});

describe("severe vomiting or diarrhea on 2+ days (dehydration)", () => {
  const g = (v: number, d: number, daysAgo: number) => ({ vomiting: v, diarrhea: d, at: new Date(at.getTime() - daysAgo * day) });
  it.each([
    ["severe vomiting today and yesterday", [g(8, 0, 1), g(7, 0, 0)], true],
    ["severe diarrhea then vomiting", [g(0, 9, 2), g(7, 0, 0)], true],
    ["twice the same day", [g(8, 0, 0), g(9, 0, 0)], false],
    ["moderate on two days", [g(6, 6, 1), g(6, 6, 0)], false],
    ["severe four days ago and today", [g(8, 0, 4), g(8, 0, 0)], false],
  ])("%s", (_n, entries, flagged) => {
    expect(severeGiDays(entries, at) !== null).toBe(flagged);
  });
});

describe("missed doses (two or more weekly doses)", () => {
  it.each([
    ["7 days apart", 7, false],
    ["14 days apart (one missed)", 14, false],
    ["21 days apart (two missed)", 21, true],
    ["first dose ever", null, false],
  ])("%s", (_n, gapDays, flagged) => {
    const prev = gapDays === null ? null : new Date(at.getTime() - (gapDays as number) * day);
    const f = missedDoses(prev, at);
    expect(f !== null).toBe(flagged);
    if (f) expect(f).toMatchObject({ kind: "missed_doses", severity: "medium" });
  });
});

it("keeps the most severe finding per kind", () => {
  const out = strongestPerKind([
    { kind: "dehydration", severity: "high", evidence: {} },
    { kind: "hypoglycemia_level2", severity: "urgent", evidence: { a: 1 } },
    { kind: "dehydration", severity: "high", evidence: { b: 2 } },
  ]);
  expect(out.map((f) => f.kind).sort()).toEqual(["dehydration", "hypoglycemia_level2"]);
});
