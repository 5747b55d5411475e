import { useMemo } from "react";
import type { MetricKind, Reading } from "@glp1/shared";
import { formatDateTime, formatReading } from "./labels.js";
import { chartData, isChartKind } from "./metricSeries.js";
import { TimeChart } from "./TimeChart.js";

/** What each kind is called in the history card ("Your …", "No … logged yet"), in the patient's words. */
const HISTORY_NOUNS: Record<MetricKind, string> = {
  weight: "weight",
  waist: "waist measurement",
  bp: "blood pressure",
  heart_rate: "heart rate",
  glucose: "glucose",
  hba1c: "HbA1c",
  gi: "stomach symptoms",
  dose: "doses",
  phq9: "mood check-ins",
  symptom: "symptoms",
};

/** What the patient logged of the kind chosen above: a chart (for measurements) and the latest entries. */
export function ReadingHistory({ kind, readings: all, loading, error }: { kind: MetricKind; readings: Reading[]; loading: boolean; error: string | null }) {
  // While another kind's readings load, the previous kind's are still in hand: show only this kind.
  const readings = useMemo(() => all.filter((r) => r.kind === kind), [all, kind]);
  const chart = useMemo(() => (isChartKind(kind) ? chartData(kind, readings) : null), [kind, readings]);
  const recent = readings.slice(-8).reverse();
  const what = HISTORY_NOUNS[kind];
  const title = `Your ${what}`;
  return (
    <section className="card" aria-labelledby="reading-history-title" data-testid="reading-history" data-kind={kind}>
      <div className="card-header">
        <h2 id="reading-history-title">{title}</h2>
      </div>
      {error && <p className="form-error">{error}</p>}
      {loading && readings.length === 0 ? (
        <p className="muted">Loading…</p>
      ) : readings.length === 0 ? (
        <p className="muted" data-testid="reading-history-empty">
          No {what} logged yet.{chart ? " Your chart appears here after your first entry." : ""}
        </p>
      ) : (
        <>
          {chart && (
            <TimeChart
              times={chart.times}
              series={chart.series}
              unit={chart.unit}
              guides={chart.guides}
              label={`${title} over time, in ${chart.unit}`}
              testId={`history-chart-${kind}`}
              height={170}
            />
          )}
          <ul className="history-list" aria-label={`Latest ${what} entries`}>
            {recent.map((r) => (
              <li key={r.id}>
                <span>{formatReading(r)}</span>
                <time className="muted" dateTime={r.observedAt}>
                  {formatDateTime(r.observedAt)}
                </time>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
