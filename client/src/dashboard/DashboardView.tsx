import { useCallback, useEffect, useId, useRef, useState } from "react";
import { DASHBOARD_SORT_KEYS, DRUG_NAMES, type CohortResponse, type DashboardRow, type DashboardSortKey, type DrugName } from "@glp1/shared";
import { api, describeError, type DashboardParams } from "../api.js";
import type { ChatStore } from "../chat/store.js";
import { drugLabel } from "../clinical/labels.js";
import { formatClock, useNow } from "../staff/useNow.js";
import { CohortChart } from "./CohortChart.js";
import { DashboardTable } from "./DashboardTable.js";
import { grantTitle } from "./grants.js";
import { browserStorage, readCohortOpen, writeCohortOpen } from "./prefs.js";
import { mergeRows } from "./rows.js";

/** An open break-glass grant of this physician (in memory only). */
export interface Grant {
  patientId: string;
  expiresAt: string;
  /** The patient's name, as the lookup answered it (absent if it could not be read). */
  name?: string;
}

interface Props {
  store: ChatStore;
  onOpen: (row: DashboardRow) => void;
  onBreakGlass: () => void;
  grants: readonly Grant[];
  onOpenGrant: (grant: Grant) => void;
  /** Narrow screens: switch to the conversation list. */
  onShowMessages?: () => void;
  unreadMessages: number;
  /** Rows as they arrive (a load, or the rows of a live update), for the alert badges elsewhere. */
  onRows?: (rows: DashboardRow[]) => void;
  /** The first load answered (rows or an error): the physician's view loads the rest after it. */
  onSettled?: () => void;
}

/** A live urgent or high alert named above the table (`row` null: the filters hide the patient). */
interface Raised {
  patientId: string;
  name: string;
  row: DashboardRow | null;
  severity: "urgent" | "high";
}

/** The server's default direction per key (attention first); a second click flips it. */
const DEFAULT_ORDER: Record<DashboardSortKey, "asc" | "desc"> = {
  name: "asc",
  latestWeightKg: "desc",
  pctChange: "asc",
  weeksOnTherapy: "desc",
  adherence: "asc",
  openAlerts: "desc",
  unread: "desc",
  lastContactAt: "asc",
};

const SORT_LABELS: Record<DashboardSortKey, string> = {
  name: "Family name",
  latestWeightKg: "Latest weight",
  pctChange: "% change",
  weeksOnTherapy: "Weeks on therapy",
  adherence: "Adherence",
  openAlerts: "Open alerts",
  unread: "Unread messages",
  lastContactAt: "Last contact",
};

const PAGE = 1000;
const FLASH_MS = 2500;

interface Filters {
  q: string;
  drug: DrugName | "";
  alerts: "" | "urgent" | "high" | "medium";
  escalationDue: boolean;
  unread: boolean;
  online: boolean;
}

const NO_FILTERS: Filters = { q: "", drug: "", alerts: "", escalationDue: false, unread: false, online: false };

/**
 * The physician's home: their panel, sorted and filtered by the server, kept live by
 * `dashboard:update` (rows replaced in place), with the cohort figures above. Nothing of
 * it is stored outside memory; filters (which may contain a name) never reach the URL.
 */
export function DashboardView({ store, onOpen, onBreakGlass, grants, onOpenGrant, onShowMessages, unreadMessages, onRows, onSettled }: Props) {
  const onRowsRef = useRef(onRows);
  onRowsRef.current = onRows;
  const onSettledRef = useRef(onSettled);
  onSettledRef.current = onSettled;
  const [sort, setSort] = useState<DashboardSortKey>("openAlerts");
  const [order, setOrder] = useState<"asc" | "desc">("desc");
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [query, setQuery] = useState(""); // the debounced name filter
  const [rows, setRows] = useState<DashboardRow[] | null>(null);
  /** The rows as last set, for merging pushes synchronously. */
  const rowsRef = useRef<DashboardRow[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [missed, setMissed] = useState(0);
  const [flash, setFlash] = useState<ReadonlySet<string>>(new Set());
  /** Rows whose urgent or high alerts went up while the table was open (it keeps its order meanwhile). */
  const [raised, setRaised] = useState<Raised[]>([]);
  const addRaised = useCallback((up: Raised[]) => {
    if (up.length === 0) return;
    setRaised((list) => {
      const kept = list.filter((x) => !up.some((u) => u.patientId === x.patientId));
      return [...up, ...kept].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "urgent" ? -1 : 1)).slice(0, 5);
    });
  }, []);
  const dismissRaised = (patientId: string) => setRaised((list) => list.filter((x) => x.patientId !== patientId));
  const [renderStartedAt, setRenderStartedAt] = useState<number | null>(null);
  const [cohort, setCohort] = useState<CohortResponse | null>(null);
  const [cohortError, setCohortError] = useState<string | null>(null);
  // Closed unless the physician opened it before: at 1280×800 the chart would take half the table's room.
  const [showCohort, setShowCohort] = useState(() => readCohortOpen(browserStorage()));
  const now = useNow(15_000);
  const clock = useNow(1_000);
  const seq = useRef(0);
  const ids = { q: useId(), drug: useId(), alerts: useId(), sort: useId() };

  useEffect(() => {
    const t = setTimeout(() => setQuery(filters.q.trim()), 250);
    return () => clearTimeout(t);
  }, [filters.q]);

  const params: DashboardParams = {
    sort,
    order,
    ...(filters.drug ? { drug: filters.drug } : {}),
    ...(filters.alerts ? { alerts: filters.alerts } : {}),
    ...(filters.escalationDue ? { escalationDue: true } : {}),
    ...(filters.unread ? { unread: true } : {}),
    ...(filters.online ? { online: true } : {}),
    ...(query ? { q: query.slice(0, 60) } : {}),
    limit: PAGE,
  };
  const key = JSON.stringify(params);

  const load = useCallback(async (p: DashboardParams) => {
    const mine = ++seq.current;
    setLoading(true);
    try {
      const res = await api.dashboard(p);
      if (mine !== seq.current) return;
      setRenderStartedAt(performance.now());
      rowsRef.current = res.patients;
      setRows(res.patients);
      onRowsRef.current?.(res.patients);
      setTotal(res.total ?? res.patients.length);
      setMissed(0);
      setError(null);
    } catch (e) {
      if (mine === seq.current) setError(describeError(e));
    } finally {
      if (mine === seq.current) setLoading(false);
      onSettledRef.current?.();
    }
  }, []);

  useEffect(() => {
    void load(JSON.parse(key) as DashboardParams);
  }, [key, load]);

  const reload = useCallback(() => void load(JSON.parse(key) as DashboardParams), [key, load]);

  // Live: subscribe once; after a reconnect, catch up from the server (pushes were missed).
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  useEffect(() => {
    const feed = store.watchFeed("dashboard:subscribe");
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const off = store.onPush("dashboard:update", ({ patients }) => {
      onRowsRef.current?.(patients);
      // Merged here, not inside a state updater: React may run updaters later (and twice in dev).
      const cur = rowsRef.current;
      if (!cur) return;
      const before = new Map(cur.map((r) => [r.patientId, r]));
      addRaised(
        patients.flatMap((p): Raised[] => {
          const b = before.get(p.patientId);
          if (!b) return [];
          if (p.openAlerts.urgent > b.openAlerts.urgent) return [{ patientId: p.patientId, name: p.name, row: p, severity: "urgent" }];
          if (p.openAlerts.high > b.openAlerts.high) return [{ patientId: p.patientId, name: p.name, row: p, severity: "high" }];
          return [];
        }),
      );
      const merged = mergeRows(cur, patients);
      rowsRef.current = merged.rows;
      if (merged.changed.length > 0) setRows(merged.rows);
      if (merged.missed.length > 0) setMissed((n) => n + merged.missed.length);
      const changed = merged.changed;
      if (changed.length === 0) return;
      const ids = changed;
      setFlash((cur) => new Set([...cur, ...ids]));
      const t = setTimeout(() => {
        timers.delete(t);
        setFlash((cur) => {
          const next = new Set(cur);
          for (const id of ids) next.delete(id);
          return next;
        });
      }, FLASH_MS);
      timers.add(t);
    });
    // The first connect is not a reconnect (the REST load runs beside it); later ones are.
    let seen = store.connected;
    const offConnect = store.onConnected(() => {
      if (!seen) seen = true;
      else reloadRef.current();
    });
    // A care-team change adds or removes a patient from this panel: load it afresh.
    const offTeam = store.onPush("conversations:changed", () => reloadRef.current());
    // An urgent or high alert for a patient the filters hide is named too (rows in the
    // table are named from their own update, above).
    const offAlert = store.onPush("alert:new", ({ alert }) => {
      if (alert.kind === "break_glass" || (alert.severity !== "urgent" && alert.severity !== "high")) return;
      if (!rowsRef.current || rowsRef.current.some((r) => r.patientId === alert.patientId)) return;
      const conv = store.getSnapshot().conversations?.find((c) => c.patientId === alert.patientId);
      addRaised([{ patientId: alert.patientId, name: conv?.patientName ?? "", row: null, severity: alert.severity }]);
    });
    return () => {
      feed.stop();
      off();
      offConnect();
      offTeam();
      offAlert();
      for (const t of timers) clearTimeout(t);
    };
  }, [store, addRaised]);

  // The cohort figures load when the chart is first opened.
  const cohortAsked = useRef(false);
  useEffect(() => {
    if (!showCohort || cohortAsked.current) return;
    cohortAsked.current = true;
    api
      .cohort()
      .then((c) => setCohort(c))
      .catch((e: unknown) => setCohortError(describeError(e)));
  }, [showCohort]);
  const toggleCohort = (open: boolean) => {
    if (open === showCohort) return;
    setShowCohort(open);
    writeCohortOpen(browserStorage(), open);
  };

  const onSort = useCallback(
    (k: DashboardSortKey) => {
      if (k === sort) setOrder((o) => (o === "asc" ? "desc" : "asc"));
      else {
        setSort(k);
        setOrder(DEFAULT_ORDER[k]);
      }
    },
    [sort],
  );

  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const filtered = JSON.stringify({ ...filters, q: filters.q.trim() }) !== JSON.stringify(NO_FILTERS);
  const liveGrants = grants.filter((g) => Date.parse(g.expiresAt) > clock);

  return (
    <section className="dashboard" aria-labelledby="dashboard-title" data-testid="dashboard">
      <header className="dash-header">
        <div className="dash-title">
          <h1 id="dashboard-title">My patients</h1>
          <p className="muted small" data-testid="dashboard-count" aria-live="polite">
            {rows === null ? "Loading…" : `${rows.length}${total > rows.length ? ` of ${total}` : ""} ${filtered ? "matching" : "in your panel"}`}
            {loading && rows !== null ? " · updating…" : ""}
          </p>
        </div>
        <div className="dash-actions">
          {onShowMessages && (
            <button type="button" className="button-secondary narrow-only" data-testid="show-messages" onClick={onShowMessages}>
              Messages
              {unreadMessages > 0 && <span className="badge">{unreadMessages > 99 ? "99+" : unreadMessages}</span>}
            </button>
          )}
          <button type="button" className="button-secondary button-emergency" data-testid="break-glass-open" onClick={onBreakGlass}>
            Break glass…
          </button>
        </div>
      </header>

      {liveGrants.length > 0 && (
        <ul className="grant-list" aria-label="Emergency access in effect">
          {liveGrants.map((g) => (
            <li key={g.patientId} className="grant-item" data-testid="grant-item">
              <span className="pill pill-emergency">Emergency access</span>
              <span className="strong">{grantTitle(g)}</span>
              <span className="countdown muted small">{formatClock(Date.parse(g.expiresAt) - clock)} left</span>
              <button type="button" className="button-link small" onClick={() => onOpenGrant(g)}>
                Open record
              </button>
            </li>
          ))}
        </ul>
      )}

      {raised.length > 0 && (
        <ul className="raised-list" aria-label="New alerts" aria-live="assertive" data-testid="raised-alerts">
          {raised.map(({ patientId, name, row, severity }) => (
            <li key={patientId} className={`raised-item severity-${severity}`} data-testid="raised-alert">
              <span className={`badge alert-badge severity-${severity}`}>{severity === "urgent" ? "Urgent" : "High"}</span>
              <span>
                New {severity} alert: <span className="strong">{name || "a patient in your panel"}</span>
                {!row && <span className="muted small"> (not shown with these filters)</span>}
              </span>
              {row ? (
                <button
                  type="button"
                  className="button-link small"
                  onClick={() => {
                    dismissRaised(patientId);
                    onOpen(row);
                  }}
                >
                  Open record
                </button>
              ) : (
                <button
                  type="button"
                  className="button-link small"
                  data-testid="raised-clear-filters"
                  onClick={() => {
                    dismissRaised(patientId);
                    setFilters(NO_FILTERS);
                    setSort("openAlerts");
                    setOrder("desc");
                  }}
                >
                  Clear filters
                </button>
              )}
              <button type="button" className="button-link small" aria-label={`Dismiss the notice about ${name || "this patient"}`} onClick={() => dismissRaised(patientId)}>
                Dismiss
              </button>
            </li>
          ))}
          <li className="raised-foot muted small">
            The table keeps its order while you work.{" "}
            <button
              type="button"
              className="button-link small"
              data-testid="raised-resort"
              onClick={() => {
                setRaised([]);
                reload();
              }}
            >
              Re-sort now
            </button>
          </li>
        </ul>
      )}

      <div className="dash-filters" role="search" aria-label="Filter patients">
        <div className="filter-field filter-search">
          <label htmlFor={ids.q} className="visually-hidden">
            Find a patient by name
          </label>
          <input id={ids.q} type="search" placeholder="Find by name…" data-testid="dashboard-search" value={filters.q} maxLength={60} autoComplete="off" onChange={(e) => set("q", e.target.value)} />
        </div>
        <div className="filter-field">
          <label htmlFor={ids.drug}>Drug</label>
          <select id={ids.drug} data-testid="filter-drug" value={filters.drug} onChange={(e) => set("drug", e.target.value as Filters["drug"])}>
            <option value="">All</option>
            {DRUG_NAMES.map((d) => (
              <option key={d} value={d}>
                {drugLabel(d)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-field">
          <label htmlFor={ids.alerts}>Alerts</label>
          <select id={ids.alerts} data-testid="filter-alerts" value={filters.alerts} onChange={(e) => set("alerts", e.target.value as Filters["alerts"])}>
            <option value="">Any</option>
            <option value="urgent">Urgent</option>
            <option value="high">High or worse</option>
            <option value="medium">Any open alert</option>
          </select>
        </div>
        <div className="filter-field narrow-only">
          <label htmlFor={ids.sort}>Sort</label>
          <select
            id={ids.sort}
            data-testid="dashboard-sort"
            value={sort}
            onChange={(e) => {
              const k = e.target.value as DashboardSortKey;
              setSort(k);
              setOrder(DEFAULT_ORDER[k]);
            }}
          >
            {DASHBOARD_SORT_KEYS.map((k) => (
              <option key={k} value={k}>
                {SORT_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <label className="filter-check">
          <input type="checkbox" data-testid="filter-escalation" checked={filters.escalationDue} onChange={(e) => set("escalationDue", e.target.checked)} /> Escalation due
        </label>
        <label className="filter-check">
          <input type="checkbox" data-testid="filter-unread" checked={filters.unread} onChange={(e) => set("unread", e.target.checked)} /> Unread
        </label>
        <label className="filter-check">
          <input type="checkbox" data-testid="filter-online" checked={filters.online} onChange={(e) => set("online", e.target.checked)} /> Online
        </label>
        {filtered && (
          <button type="button" className="button-link small" data-testid="filter-clear" onClick={() => setFilters(NO_FILTERS)}>
            Clear
          </button>
        )}
      </div>

      <details className="card cohort-card" data-testid="cohort-card" open={showCohort} onToggle={(e) => toggleCohort((e.currentTarget as HTMLDetailsElement).open)}>
        <summary data-testid="cohort-toggle">
          <span className="cohort-caret" aria-hidden="true">
            {showCohort ? "▾" : "▸"}
          </span>
          <h2 className="cohort-title">Cohort: mean weight change by week</h2>
          <span className="muted small"> · your panel at maintenance dose, ◆ = published trial end point</span>
          <span className="cohort-state small">{showCohort ? "Hide chart" : "Show chart"}</span>
        </summary>
        {cohortError ? <p className="form-error">{cohortError}</p> : cohort === null ? <p className="muted small">Loading…</p> : showCohort && <CohortChart cohort={cohort} height={150} />}
      </details>

      {missed > 0 && (
        <p className="notice dash-notice" role="status">
          {missed} change{missed === 1 ? "" : "s"} to patients not shown here.{" "}
          <button type="button" className="button-link" data-testid="dashboard-refresh" onClick={reload}>
            Refresh
          </button>
        </p>
      )}
      {error && (
        <div className="form-error" role="alert">
          {error}{" "}
          <button type="button" className="button-link" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      {rows !== null && rows.length === 0 ? (
        <p className="card muted" data-testid="dashboard-empty">
          {filtered ? "No patient matches these filters." : "No patients are assigned to you yet."}
        </p>
      ) : rows !== null ? (
        <DashboardTable rows={rows} sort={sort} order={order} onSort={onSort} onOpen={onOpen} flash={flash} now={now} renderStartedAt={renderStartedAt} />
      ) : null}
    </section>
  );
}
