/**
 * Cohort figures: mean % change of body weight by week on therapy, one line per arm, with
 * the published trial end points (STEP 1 week 68, SURMOUNT-1 week 72) marked as diamonds
 * in the same colours for comparison. uPlot on a canvas (CSP-safe, see TimeChart).
 */
import { useEffect, useMemo, useRef } from "react";
import uPlot from "uplot";
import { COHORT_ARMS, TRIAL_ARMS, type CohortArm, type CohortResponse } from "@glp1/shared";

export const ARM_COLORS: Record<CohortArm, string> = {
  "semaglutide-2.4": "#0f766e",
  "tirzepatide-5": "#7c3aed",
  "tirzepatide-10": "#c2410c",
  "tirzepatide-15": "#1d4ed8",
};

export const ARM_LABELS: Record<CohortArm, string> = {
  "semaglutide-2.4": "Semaglutide 2.4 mg",
  "tirzepatide-5": "Tirzepatide 5 mg",
  "tirzepatide-10": "Tirzepatide 10 mg",
  "tirzepatide-15": "Tirzepatide 15 mg",
};

const ARM_SHORT: Record<CohortArm, string> = {
  "semaglutide-2.4": "Sema 2.4 mg",
  "tirzepatide-5": "Tirz 5 mg",
  "tirzepatide-10": "Tirz 10 mg",
  "tirzepatide-15": "Tirz 15 mg",
};

/** Weeks with fewer patients than this are not drawn (a mean of one or two is noise). */
export const MIN_N = 5;

/** x = every week any arm has (with at least MIN_N patients); one series per arm (null where it has no value). */
export function cohortData(cohort: CohortResponse): { weeks: number[]; series: { arm: CohortArm; values: (number | null)[] }[] } {
  const weekSet = new Set<number>();
  for (const a of cohort.arms) for (const w of a.weeks) if (w.n >= MIN_N) weekSet.add(w.week);
  const weeks = [...weekSet].sort((x, y) => x - y);
  const series = COHORT_ARMS.map((arm) => {
    const byWeek = new Map((cohort.arms.find((a) => a.arm === arm)?.weeks ?? []).filter((w) => w.n >= MIN_N).map((w) => [w.week, w.meanPctChange]));
    return { arm, values: weeks.map((w) => byWeek.get(w) ?? null) };
  });
  return { weeks, series };
}

export function CohortChart({ cohort, height = 200 }: { cohort: CohortResponse; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const data = useMemo(() => cohortData(cohort), [cohort]);

  useEffect(() => {
    const el = box.current;
    if (!el || data.weeks.length === 0) return;
    const width = Math.max(260, Math.floor(el.clientWidth));
    const endpoints: uPlot.Plugin = {
      hooks: {
        draw: (u) => {
          const { ctx } = u;
          ctx.save();
          for (const arm of COHORT_ARMS) {
            const t = TRIAL_ARMS[arm];
            const x = u.valToPos(t.endpointWeek, "x", true);
            const y = u.valToPos(t.meanPctChange, "y", true);
            if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
            const r = 5 * devicePixelRatio;
            ctx.fillStyle = ARM_COLORS[arm];
            ctx.strokeStyle = "#fff";
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, y - r);
            ctx.lineTo(x + r, y);
            ctx.lineTo(x, y + r);
            ctx.lineTo(x - r, y);
            ctx.closePath();
            ctx.fill();
            ctx.stroke();
          }
          ctx.restore();
        },
      },
    };
    const maxWeek = Math.max(76, ...data.weeks);
    const minPct = Math.min(-22, ...data.series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
    const opts: uPlot.Options = {
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: { x: { time: false, range: [0, maxWeek] }, y: { range: [Math.floor(minPct - 1), 2] } },
      axes: [
        { stroke: "#5b6b76", grid: { stroke: "#eef1f4" }, ticks: { stroke: "#dde3e8" }, label: "Week on therapy", labelSize: 18, size: 36 },
        { stroke: "#5b6b76", grid: { stroke: "#eef1f4" }, ticks: { stroke: "#dde3e8" }, size: 54, values: (_u, splits) => splits.map((v) => `${v === 0 ? 0 : v.toFixed(0).replace("-", "−")} %`) },
      ],
      series: [
        { label: "Week" },
        ...data.series.map((s) => ({
          label: ARM_LABELS[s.arm],
          stroke: ARM_COLORS[s.arm],
          width: 2,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      plugins: [endpoints],
    };
    const chart = new uPlot(opts, [data.weeks, ...data.series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(260, Math.floor(el.clientWidth));
      if (w !== chart.width) chart.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, [data, height]);

  return (
    <div className="cohort">
      {data.weeks.length === 0 ? (
        <p className="muted small">No patient has reached a maintenance dose yet.</p>
      ) : (
        <div ref={box} className="time-chart cohort-chart" role="img" aria-label="Mean percent change in body weight by week on therapy, per arm, with published trial end points" data-testid="cohort-chart" />
      )}
      <div className="cohort-legend-scroll">
      <table className="data-table cohort-legend" data-testid="cohort-table">
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Patients</th>
            <th scope="col">Latest (n ≥ {MIN_N})</th>
            <th scope="col">Published</th>
          </tr>
        </thead>
        <tbody>
          {COHORT_ARMS.map((arm) => {
            const fig = cohort.arms.find((a) => a.arm === arm);
            const latest = fig?.weeks.filter((w) => w.n >= MIN_N).at(-1);
            const t = TRIAL_ARMS[arm];
            return (
              <tr key={arm}>
                <td>
                  <span className="legend-swatch" style={{ background: ARM_COLORS[arm] }} aria-hidden="true" /> {ARM_SHORT[arm]}
                </td>
                <td>{fig?.patients ?? 0}</td>
                <td>{latest ? `wk ${latest.week}: ${latest.meanPctChange.toFixed(1)} % (${latest.n})` : "—"}</td>
                <td title={t.source}>
                  <span aria-hidden="true">◆ </span>
                  {t.trial.replace("SURMOUNT-1", "SURMOUNT")} wk {t.endpointWeek}: {t.meanPctChange.toFixed(1)} %
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
    </div>
  );
}
