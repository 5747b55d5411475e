import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import type { DashboardRow, DashboardSortKey } from "@glp1/shared";
import { drugLabel, formatMg } from "../clinical/labels.js";
import { formatAgo } from "../staff/useNow.js";
import { formatPct, sparkPoints, visibleRange } from "./rows.js";

/** Every row has this height, so the window is plain arithmetic (no measuring). */
export const ROW_HEIGHT = 56;
const DRUG_SHORT: Record<string, string> = { semaglutide: "Semaglutide", tirzepatide: "Tirzepatide" };
const SPARK_W = 84;
const SPARK_H = 26;

interface Column {
  id: string;
  label: string;
  /** Server-side sort key, if the column sorts. */
  sort?: DashboardSortKey;
  className?: string;
  /** Tooltip on the sort button, where the label does not say how it sorts. */
  title?: string;
}

const COLUMNS: Column[] = [
  { id: "name", label: "Patient", sort: "name", title: "Sort by family name, then given name" },
  { id: "trend", label: "Weight trend", sort: "latestWeightKg" },
  { id: "change", label: "Change", sort: "pctChange", className: "num" },
  { id: "weeks", label: "Weeks", sort: "weeksOnTherapy", className: "num" },
  { id: "therapy", label: "Therapy" },
  { id: "adherence", label: "Adherence", sort: "adherence", className: "num" },
  { id: "alerts", label: "Open alerts", sort: "openAlerts" },
  { id: "unread", label: "Unread", sort: "unread", className: "num" },
  { id: "contact", label: "Last contact", sort: "lastContactAt" },
];

interface Props {
  rows: readonly DashboardRow[];
  sort: DashboardSortKey;
  order: "asc" | "desc";
  onSort: (key: DashboardSortKey) => void;
  onOpen: (row: DashboardRow) => void;
  /** Patients whose row just changed live (highlighted briefly). */
  flash: ReadonlySet<string>;
  now: number;
  /** Rows beyond the window rendered either side (all of them: no windowing, for comparison). */
  overscan?: number;
  /** Initial viewport height before it is measured (server render, tests). */
  initialHeight?: number;
  /** Set when the rows were replaced: how long the commit took is written to `data-render-ms`. */
  renderStartedAt?: number | null;
}

/**
 * The panel table, windowed: only the rows in view (plus a few) are in the DOM, each at a
 * fixed height and absolutely placed in a spacer as tall as all rows. 500 rows render the
 * same ~20 rows as 20 do. Cells are ARIA table cells; the name is the row's button.
 */
export function DashboardTable({ rows, sort, order, onSort, onOpen, flash, now, overscan = 6, initialHeight = 600, renderStartedAt = null }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(initialHeight);
  const frame = useRef(0);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      ro.disconnect();
      cancelAnimationFrame(frame.current);
    };
  }, []);

  const onScroll = useCallback(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setScrollTop(scroller.current?.scrollTop ?? 0));
  }, []);

  // After a new result set commits: how long it took (a number only, no PHI), for measuring.
  useLayoutEffect(() => {
    if (renderStartedAt === null || !scroller.current) return;
    scroller.current.dataset.renderMs = (performance.now() - renderStartedAt).toFixed(1);
  }, [renderStartedAt]);

  const { start, end } = visibleRange(scrollTop, height, ROW_HEIGHT, rows.length, overscan);
  const slice = rows.slice(start, end);

  return (
    <div
      ref={scroller}
      className="dash-scroll"
      onScroll={onScroll}
      data-testid="dashboard-table"
      data-row-count={rows.length}
      data-rendered-rows={slice.length}
    >
      <div className="dash-table" role="table" aria-label="Patients in your panel" aria-rowcount={rows.length + 1}>
        <div className="dash-head" role="rowgroup">
          <div className="dash-row dash-header-row" role="row" aria-rowindex={1}>
            {COLUMNS.map((c) => {
              const active = c.sort !== undefined && c.sort === sort;
              return (
                <div
                  key={c.id}
                  role="columnheader"
                  className={`dash-cell dash-th col-${c.id} ${c.className ?? ""}`}
                  aria-sort={active ? (order === "asc" ? "ascending" : "descending") : undefined}
                >
                  {c.sort ? (
                    <button type="button" className={`dash-sort${active ? " is-sorted" : ""}`} data-testid={`sort-${c.sort}`} title={c.title} onClick={() => onSort(c.sort!)}>
                      <SortLabel label={c.label} arrow={active ? (order === "asc" ? "▲" : "▼") : null} />
                    </button>
                  ) : (
                    c.label
                  )}
                </div>
              );
            })}
          </div>
        </div>
        <div className="dash-body" role="rowgroup" style={{ height: rows.length * ROW_HEIGHT }}>
          {slice.map((row, i) => (
            <DashRow key={row.patientId} row={row} index={start + i} flash={flash.has(row.patientId)} now={now} onOpen={onOpen} />
          ))}
        </div>
      </div>
    </div>
  );
}

/**
 * A header label with the sort arrow glued to its last word ("Open alerts▼" wraps as
 * "Open / alerts ▼"), so the arrow can never sit at the column's edge beside the next
 * column's label. The arrow is decoration: the header's `aria-sort` says it.
 */
export function SortLabel({ label, arrow }: { label: string; arrow: string | null }) {
  const cut = label.lastIndexOf(" ");
  const head = cut < 0 ? "" : label.slice(0, cut + 1);
  const last = cut < 0 ? label : label.slice(cut + 1);
  return (
    <>
      {head}
      <span className="sort-tail">
        {last}
        {arrow && (
          <span className="sort-arrow" data-testid="sort-arrow" aria-hidden="true">
            {arrow}
          </span>
        )}
      </span>
    </>
  );
}

const DashRow = memo(function DashRow({ row, index, flash, now, onOpen }: { row: DashboardRow; index: number; flash: boolean; now: number; onOpen: (row: DashboardRow) => void }) {
  const open = () => onOpen(row);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" && e.target === e.currentTarget) open();
  };
  const a = row.openAlerts;
  const lowAdherence = row.adherence.pct !== null && row.adherence.pct < 80;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={`dash-row dash-data-row${flash ? " row-flash" : ""}${a.urgent > 0 ? " has-urgent" : ""}`}
      style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
      data-testid="dashboard-row"
      data-patient-id={row.patientId}
      onClick={open}
      onKeyDown={onKeyDown}
    >
      <div role="cell" className="dash-cell col-name">
        <span className={`presence-dot${row.online ? " is-online" : ""}`} data-testid="presence" data-online={row.online} title={row.online ? "Online now" : "Offline"} aria-hidden="true" />
        <button type="button" className="dash-name" data-testid="dashboard-open" onClick={(e) => { e.stopPropagation(); open(); }}>
          {row.name || "Unnamed patient"}
        </button>
        <span className="visually-hidden">{row.online ? ", online" : ", offline"}</span>
      </div>
      <div role="cell" className="dash-cell col-trend">
        <Sparkline values={row.sparkline} />
        <span className="dash-sub">{row.latestWeightKg !== null ? `${row.latestWeightKg} kg` : "no weight"}</span>
      </div>
      <div role="cell" className={`dash-cell col-change num${row.pctChange !== null && row.pctChange < 0 ? " is-loss" : row.pctChange !== null && row.pctChange > 0 ? " is-gain" : ""}`}>
        {formatPct(row.pctChange)}
      </div>
      <div role="cell" className="dash-cell col-weeks num">
        {row.weeksOnTherapy ?? "—"}
      </div>
      <div role="cell" className="dash-cell col-therapy">
        {row.drug ? (
          <>
            <span className="dash-drug" title={drugLabel(row.drug)}>
              {DRUG_SHORT[row.drug] ?? row.drug} {row.doseMg !== null ? formatMg(row.doseMg) : ""}
            </span>
            {row.escalationDue ? (
              <span className="pill pill-warn" data-testid="escalation-due">
                Escalation due
              </span>
            ) : row.maintenance ? (
              <span className="pill pill-ok">Maintenance</span>
            ) : null}
          </>
        ) : (
          <span className="muted">Not started</span>
        )}
      </div>
      <div role="cell" className={`dash-cell col-adherence num${lowAdherence ? " is-low" : ""}`} title={`${row.adherence.taken} of ${row.adherence.expected} weekly doses logged`}>
        {row.adherence.pct === null ? "—" : `${row.adherence.pct} %`}
        {row.adherence.expected > 0 && <span className="dash-sub">{`${row.adherence.taken}/${row.adherence.expected}`}</span>}
      </div>
      <div role="cell" className="dash-cell col-alerts" data-testid="dashboard-alerts">
        {a.total === 0 ? (
          <span className="muted">—</span>
        ) : (
          (["urgent", "high", "medium"] as const).map((s) =>
            a[s] > 0 ? (
              <span key={s} className={`badge alert-badge severity-${s}`} title={`${a[s]} ${s}`}>
                {a[s]}
                <span className="visually-hidden"> {s}</span>
              </span>
            ) : null,
          )
        )}
      </div>
      <div role="cell" className="dash-cell col-unread num">
        {row.unread > 0 ? (
          <span className="badge" data-testid="dashboard-unread">
            {row.unread > 99 ? "99+" : row.unread}
          </span>
        ) : (
          <span className="muted">0</span>
        )}
      </div>
      <div role="cell" className="dash-cell col-contact">
        {row.lastContactAt ? <time dateTime={row.lastContactAt}>{formatAgo(row.lastContactAt, now)}</time> : <span className="muted">Never</span>}
      </div>
    </div>
  );
});

/** Up to 12 weekly weights as a line; a dot marks the latest. Pure SVG, no script. */
export const Sparkline = memo(function Sparkline({ values }: { values: readonly number[] }) {
  if (values.length < 2) return <span className="sparkline-empty muted">—</span>;
  const points = sparkPoints(values, SPARK_W, SPARK_H);
  const last = points.split(" ").at(-1)!.split(",");
  const first = values[0]!;
  const latest = values.at(-1)!;
  const trend = latest < first ? "down" : latest > first ? "up" : "flat";
  return (
    <svg className={`sparkline trend-${trend}`} width={SPARK_W} height={SPARK_H} viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} role="img" aria-label={`Weight ${first} to ${latest} kg over ${values.length} weeks`}>
      <polyline points={points} fill="none" strokeWidth="1.5" strokeLinejoin="round" strokeLinecap="round" />
      <circle cx={last[0]} cy={last[1]} r="2.2" />
    </svg>
  );
});
