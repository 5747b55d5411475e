/**
 * Readings → chart data, one chart per measured kind. Shared by the physician's patient
 * record and the patient's own log, so both draw the same series in the same colours.
 */
import type { MetricKind, Reading } from "@glp1/shared";
import type { ChartSeries } from "./TimeChart.js";

/** The kinds with a number (or two) to draw over time. */
export const CHART_KINDS = ["weight", "waist", "bp", "heart_rate", "glucose", "hba1c"] as const satisfies readonly MetricKind[];
export type ChartKind = (typeof CHART_KINDS)[number];

export const isChartKind = (kind: MetricKind): kind is ChartKind => (CHART_KINDS as readonly string[]).includes(kind);

export const CHART_COLORS = {
  weight: "#0f766e",
  waist: "#0e7490",
  systolic: "#b42318",
  diastolic: "#1d4ed8",
  heart_rate: "#c2410c",
  glucose: "#7c3aed",
  hba1c: "#a21caf",
} as const;

/** Hypoglycaemia levels 1 and 2 (70 and 54 mg/dL), drawn as dashed guides. */
export const GLUCOSE_GUIDES: readonly { value: number; color: string }[] = [
  { value: 70, color: "#d97706" },
  { value: 54, color: "#b42318" },
];

/** The axis unit of each kind (readings are stored in these canonical units). */
export const CHART_UNITS: Record<ChartKind, string> = {
  weight: "kg",
  waist: "cm",
  bp: "mmHg",
  heart_rate: "beats/min",
  glucose: "mg/dL",
  hba1c: "%",
};

export interface ChartData {
  /** Readings drawn. */
  n: number;
  /** ms since the epoch, ascending (readings come oldest first). */
  times: number[];
  series: ChartSeries[];
  unit: string;
  guides?: { value: number; color: string }[];
}

const NUMBER_SERIES: Record<Exclude<ChartKind, "bp">, { label: string; color: string }> = {
  weight: { label: "Weight", color: CHART_COLORS.weight },
  waist: { label: "Waist", color: CHART_COLORS.waist },
  heart_rate: { label: "Heart rate", color: CHART_COLORS.heart_rate },
  glucose: { label: "Glucose", color: CHART_COLORS.glucose },
  hba1c: { label: "HbA1c", color: CHART_COLORS.hba1c },
};

/** One kind's readings (others are ignored) as a chart: blood pressure as systolic and diastolic lines. */
export function chartData(kind: ChartKind, readings: readonly Reading[]): ChartData {
  const rows = readings.filter((r) => r.kind === kind);
  const times = rows.map((r) => Date.parse(r.observedAt));
  const unit = CHART_UNITS[kind];
  if (kind === "bp") {
    const v = rows.map((r) => r.value as { systolic: number; diastolic: number });
    return {
      n: rows.length,
      times,
      unit,
      series: [
        { label: "Systolic", values: v.map((x) => x.systolic), color: CHART_COLORS.systolic },
        { label: "Diastolic", values: v.map((x) => x.diastolic), color: CHART_COLORS.diastolic },
      ],
    };
  }
  const { label, color } = NUMBER_SERIES[kind];
  return {
    n: rows.length,
    times,
    unit,
    series: [{ label, values: rows.map((r) => r.value as number), color }],
    ...(kind === "glucose" ? { guides: [...GLUCOSE_GUIDES] } : {}),
  };
}
