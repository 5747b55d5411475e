import { RED_FLAGS as RF, SEVERITY_RANK, type ReadingValue } from "@glp1/shared";
import type { Finding } from "./alerts.service.js";

/** A reading as the rules see it: kind, canonical value, time. */
export interface RulePoint {
  kind: string;
  value: ReadingValue;
  observedAt: Date;
}

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** Red flags that one reading raises on its own (CLINICAL.md, "Red flags"). */
export function instantFindings(r: RulePoint): Finding[] {
  const out: Finding[] = [];
  const at = r.observedAt.toISOString();
  switch (r.kind) {
    case "glucose": {
      const mgdl = r.value as number;
      if (mgdl < RF.glucoseUrgentBelow) out.push({ kind: "hypoglycemia_level2", severity: "urgent", evidence: { glucoseMgdl: mgdl, at } });
      else if (mgdl < RF.glucoseHighBelow) out.push({ kind: "hypoglycemia_level1", severity: "high", evidence: { glucoseMgdl: mgdl, at } });
      break;
    }
    case "bp": {
      const { systolic, diastolic } = r.value as { systolic: number; diastolic: number };
      if (systolic >= RF.systolicUrgentAtLeast || diastolic >= RF.diastolicUrgentAtLeast) {
        out.push({ kind: "hypertensive_crisis", severity: "urgent", evidence: { systolic, diastolic, at } });
      }
      break;
    }
    case "gi": {
      const gi = r.value as Record<string, number>;
      if ((gi.abdominal_pain ?? 0) >= RF.abdominalPainUrgentAtLeast) {
        out.push({ kind: "pancreatitis", severity: "urgent", evidence: { abdominalPain: gi.abdominal_pain, vomiting: gi.vomiting, at } });
      }
      break;
    }
    case "phq9": {
      const { score, item9 } = r.value as { score: number; item9: number | null };
      if (item9 !== null && item9 > 0) out.push({ kind: "suicidal_ideation", severity: "urgent", evidence: { phq9: score, item9, at } });
      break;
    }
    case "symptom": {
      const codes = new Set((r.value as { codes: string[] }).codes);
      const has = (...c: string[]) => c.filter((x) => codes.has(x));
      if (has("ruq_pain_fever_jaundice").length) out.push({ kind: "gallbladder", severity: "urgent", evidence: { symptoms: has("ruq_pain_fever_jaundice"), at } });
      if (has("face_throat_swelling", "trouble_breathing").length) {
        out.push({ kind: "anaphylaxis", severity: "urgent", evidence: { symptoms: has("face_throat_swelling", "trouble_breathing"), at } });
      }
      if (has("suicidal_thoughts").length) out.push({ kind: "suicidal_ideation", severity: "urgent", evidence: { symptoms: ["suicidal_thoughts"], at } });
      if (has("neck_lump", "trouble_swallowing", "hoarseness").length) {
        out.push({ kind: "thyroid", severity: "high", evidence: { symptoms: has("neck_lump", "trouble_swallowing", "hoarseness"), at } });
      }
      if (has("little_urine").length) out.push({ kind: "dehydration", severity: "high", evidence: { symptoms: ["little_urine"], at } });
      break;
    }
  }
  return out;
}

/** Weight falling faster than 1.5 kg/week, averaged over 2–4 weeks (gallstone risk). */
export function rapidWeightLoss(weights: Array<{ kg: number; at: Date }>, latest: { kg: number; at: Date }): Finding | null {
  let worst: Finding | null = null;
  for (const w of weights) {
    const weeks = (latest.at.getTime() - w.at.getTime()) / WEEK;
    if (weeks < RF.rapidLossMinWeeks || weeks > 2 * RF.rapidLossMinWeeks) continue;
    const rate = (w.kg - latest.kg) / weeks;
    if (rate > RF.rapidLossKgPerWeek && (!worst || rate > (worst.evidence.kgPerWeek as number))) {
      worst = {
        kind: "rapid_weight_loss",
        severity: "high",
        evidence: { fromKg: w.kg, toKg: latest.kg, weeks: Math.round(weeks * 10) / 10, kgPerWeek: Math.round(rate * 100) / 100 },
      };
    }
  }
  return worst;
}

/** Resting heart rate up ≥ 20/min from baseline on the last two readings (sustained). */
export function heartRateRise(baseline: number | null, recent: number[]): Finding | null {
  if (baseline === null || recent.length < RF.heartRateSustainedReadings) return null;
  const last = recent.slice(-RF.heartRateSustainedReadings);
  if (last.every((hr) => hr - baseline >= RF.heartRateRiseAtLeast)) {
    return { kind: "heart_rate_rise", severity: "medium", evidence: { baseline, recent: last } };
  }
  return null;
}

/** Severe vomiting or diarrhea on two or more distinct days within the last three: dehydration risk. */
export function severeGiDays(gi: Array<{ vomiting: number; diarrhea: number; at: Date }>, now: Date): Finding | null {
  const days = new Set(
    gi
      .filter((g) => now.getTime() - g.at.getTime() <= 3 * DAY && Math.max(g.vomiting, g.diarrhea) >= RF.severeGiAtLeast)
      .map((g) => g.at.toISOString().slice(0, 10)),
  );
  if (days.size >= RF.severeGiDays) return { kind: "dehydration", severity: "high", evidence: { severeDays: [...days].sort() } };
  return null;
}

/** Two or more weekly doses missed: a gap of 21+ days between logged doses. */
export function missedDoses(previous: Date | null, current: Date): Finding | null {
  if (!previous) return null;
  const days = (current.getTime() - previous.getTime()) / DAY;
  if (days >= RF.missedDosesAfterDays) return { kind: "missed_doses", severity: "medium", evidence: { daysSinceLastDose: Math.floor(days) } };
  return null;
}

/** One finding per kind, the most severe (a report may trip a rule twice). */
export function strongestPerKind(findings: Finding[]): Finding[] {
  const byKind = new Map<string, Finding>();
  for (const f of findings) {
    const prev = byKind.get(f.kind);
    if (!prev || SEVERITY_RANK[f.severity] < SEVERITY_RANK[prev.severity]) byKind.set(f.kind, f);
  }
  return [...byKind.values()];
}
