/**
 * A small time-series line chart on uPlot (canvas). CSP-safe: uPlot's stylesheet is
 * imported statically in main.tsx (bundled into the app's one CSS file, so no stylesheet
 * is added at run time) and the library only sets element styles through the CSSOM — it
 * never injects a <style> element, a style attribute string or HTML.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import { DATE_TICK_INCRS, timeAxisRange } from "./chartScale.js";

export interface ChartSeries {
  label: string;
  /** One value per x; null leaves a gap. */
  values: (number | null)[];
  color: string;
  /** Hold each value until the next (a dose step), instead of a straight line between points. */
  stepped?: boolean;
}

interface Props {
  /** Times in ms since the epoch, ascending. */
  times: number[];
  series: ChartSeries[];
  unit: string;
  /** An accessible name: the chart itself is a picture; the data is also given as a table nearby. */
  label: string;
  height?: number;
  testId?: string;
  /** Horizontal guide lines (e.g. 70 mg/dL), drawn dashed. */
  guides?: { value: number; color: string }[];
}

const NO_GUIDES: NonNullable<Props["guides"]> = [];

/** Callers memoize `times`, `series` and `guides`: the chart is rebuilt when they change. */
export function TimeChart({ times, series, unit, label, height = 180, testId, guides = NO_GUIDES }: Props) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, Math.floor(el.clientWidth));
    const guidePlugin: uPlot.Plugin = {
      hooks: {
        draw: (u) => {
          const { ctx } = u;
          ctx.save();
          ctx.setLineDash([4, 4]);
          ctx.lineWidth = 1 * devicePixelRatio;
          for (const g of guides) {
            const y = u.valToPos(g.value, "y", true);
            if (!Number.isFinite(y) || y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
            ctx.strokeStyle = g.color;
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
          }
          ctx.restore();
        },
      },
    };
    const opts: uPlot.Options = {
      width,
      height,
      ms: 1,
      // Series names only (no hover values): the table beside the chart gives the numbers.
      legend: { show: series.length > 1, live: false },
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      // At least two days wide (a lone reading sits in the middle), ticked in whole days or more.
      scales: { x: { time: true, range: (_u, min, max) => timeAxisRange(min, max) }, y: { auto: true } },
      axes: [
        // Date labels may take two lines (day, then year): room for both.
        { stroke: "#5b6b76", grid: { stroke: "#eef1f4" }, ticks: { stroke: "#dde3e8" }, size: 50, incrs: [...DATE_TICK_INCRS] },
        {
          stroke: "#5b6b76",
          grid: { stroke: "#eef1f4" },
          ticks: { stroke: "#dde3e8" },
          size: 52,
          values: (_u, splits) => splits.map((v) => `${Number(v.toFixed(1))}`),
          label: unit,
          labelSize: 18,
        },
      ],
      series: [
        { label: "Time", value: () => "" },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          ...(s.stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
          points: { show: true, size: 5, fill: s.color },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : `${Number(v.toFixed(1))} ${unit}`),
        })),
      ],
      plugins: [guidePlugin],
    };
    const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
    const chart = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => {
      const w = Math.max(240, Math.floor(el.clientWidth));
      if (w !== chart.width) chart.setSize({ width: w, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
    // Re-create on any data change: the series are short (a patient's own history).
  }, [times, series, unit, height, guides]);

  return <div ref={box} className="time-chart" role="img" aria-label={label} data-testid={testId} />;
}
