import type { DashboardRow } from "@glp1/shared";

/**
 * Live rows: a `dashboard:update` replaces the rows it names where they stand (the order
 * the server sorted stays put; no row jumps under the physician's pointer). Rows that are
 * not on screen (filtered out, or new to the panel) are counted so the view can offer a
 * refresh instead of guessing whether they now match the filters.
 */
export function mergeRows(rows: readonly DashboardRow[], updates: readonly DashboardRow[]): { rows: DashboardRow[]; changed: string[]; missed: string[] } {
  const at = new Map<string, number>();
  rows.forEach((r, i) => at.set(r.patientId, i));
  const next = rows.slice();
  const changed: string[] = [];
  const missed: string[] = [];
  for (const u of updates) {
    const i = at.get(u.patientId);
    if (i === undefined) missed.push(u.patientId);
    else {
      next[i] = u;
      changed.push(u.patientId);
    }
  }
  return { rows: changed.length > 0 ? next : (rows as DashboardRow[]), changed, missed };
}

/** Which rows to render for a scroll position: the visible ones plus `overscan` either side. */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan = 6): { start: number; end: number } {
  if (count === 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(rowHeight, viewportHeight)) / rowHeight);
  return { start: Math.max(0, first - overscan), end: Math.min(count, last + overscan) };
}

/** SVG polyline points for a sparkline of `values` in a `width`×`height` box (1px inset). */
export function sparkPoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return "";
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (width - 2) / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = values.length > 1 ? 1 + i * step : width / 2;
      const y = max === min ? height / 2 : 1 + ((max - v) / span) * (height - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

/** "−6.2 %" with a real minus sign; "—" when unknown. */
export function formatPct(pct: number | null): string {
  if (pct === null) return "—";
  const sign = pct > 0 ? "+" : pct < 0 ? "−" : "";
  return `${sign}${Math.abs(pct).toFixed(1)} %`;
}
