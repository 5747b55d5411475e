import {
  CANONICAL_UNIT,
  CM_PER_IN,
  FUTURE_SKEW_MS,
  KG_PER_LB,
  MGDL_PER_MMOLL,
  PLAUSIBLE,
  type ReadingInput,
  type ReadingValue,
  stepIndex,
} from "@glp1/shared";
import { AppError } from "../../http/errors.js";

export interface NormalizedReading {
  kind: ReadingInput["kind"];
  value: ReadingValue;
  unit: string;
  entered: { value: ReadingValue; unit: string };
  observedAt: Date;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

function inRange(n: number, [lo, hi]: readonly [number, number], field: string): void {
  if (n < lo || n > hi) throw new AppError("VALIDATION_FAILED", `${field} is outside the possible range (${lo}–${hi})`, [field]);
}

/**
 * Convert a reading to its canonical unit (lb→kg, in→cm, mmol/L→mg/dL), keeping what was
 * entered, and refuse values no living patient could have and times in the future.
 * `path` names the reading in error messages (`readings.2`); values are never echoed.
 */
export function normalizeReading(r: ReadingInput, path: string, now = Date.now()): NormalizedReading {
  const observedAt = new Date(r.observedAt);
  if (observedAt.getTime() > now + FUTURE_SKEW_MS) {
    throw new AppError("VALIDATION_FAILED", `${path}.observedAt is in the future`, [`${path}.observedAt`]);
  }
  if (observedAt.getFullYear() < 2000) throw new AppError("VALIDATION_FAILED", `${path}.observedAt is too old`, [`${path}.observedAt`]);
  const entered = { value: r.value as ReadingValue, unit: r.unit };
  const out = (value: ReadingValue): NormalizedReading => ({ kind: r.kind, value, unit: CANONICAL_UNIT[r.kind], entered, observedAt });
  const f = `${path}.value`;
  switch (r.kind) {
    case "weight": {
      const kg = r.unit === "lb" ? r.value * KG_PER_LB : r.value;
      inRange(kg, PLAUSIBLE.weightKg, f);
      return out(round(kg, 2));
    }
    case "waist": {
      const cm = r.unit === "in" ? r.value * CM_PER_IN : r.value;
      inRange(cm, PLAUSIBLE.waistCm, f);
      return out(round(cm, 1));
    }
    case "bp": {
      inRange(r.value.systolic, PLAUSIBLE.systolic, `${f}.systolic`);
      inRange(r.value.diastolic, PLAUSIBLE.diastolic, `${f}.diastolic`);
      if (r.value.diastolic >= r.value.systolic) {
        throw new AppError("VALIDATION_FAILED", `${f}: diastolic must be below systolic`, [`${f}.diastolic`]);
      }
      return out({ systolic: r.value.systolic, diastolic: r.value.diastolic });
    }
    case "heart_rate":
      inRange(r.value, PLAUSIBLE.heartRate, f);
      return out(r.value);
    case "glucose": {
      const mgdl = r.unit === "mmol/L" ? r.value * MGDL_PER_MMOLL : r.value;
      inRange(mgdl, PLAUSIBLE.glucoseMgdl, f);
      return out(round(mgdl, 1));
    }
    case "hba1c":
      inRange(r.value, PLAUSIBLE.hba1cPct, f);
      return out(round(r.value, 1));
    case "gi":
      return out({ ...r.value });
    case "dose":
      if (stepIndex(r.value.drug, r.value.mg) < 0) {
        throw new AppError("VALIDATION_FAILED", `${f}.mg is not a dose of ${r.value.drug}`, [`${f}.mg`]);
      }
      return out({ ...r.value });
    case "phq9": {
      const v = typeof r.value === "number" ? { score: r.value, item9: null } : r.value;
      if (v.item9 !== null && v.item9 * 1 > v.score) throw new AppError("VALIDATION_FAILED", `${f}.item9 exceeds the total score`, [`${f}.item9`]);
      return out(v);
    }
    case "symptom":
      return out({ codes: [...new Set(r.value.codes)] });
  }
}
