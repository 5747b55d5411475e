import { useCallback, useEffect, useState } from "react";
import { SEVERITY_RANK, type AlertView, type DashboardRow } from "@glp1/shared";
import { ApiError, api, describeError } from "../api.js";
import type { ChatStore } from "../chat/store.js";

/** Newest first; an update replaces the alert with the same id. */
export function upsertAlert(list: readonly AlertView[], alert: AlertView): AlertView[] {
  const i = list.findIndex((a) => a.id === alert.id);
  if (i === -1) return [alert, ...list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  const next = list.slice();
  // A push carries no evidence: keep what the fuller record had.
  next[i] = { ...list[i], ...alert, evidence: alert.evidence ?? list[i]?.evidence };
  return next;
}

/** Open first, most severe first, newest first. */
export function sortAlerts(list: readonly AlertView[]): AlertView[] {
  return list.slice().sort((a, b) => {
    if (a.status !== b.status) return a.status === "open" ? -1 : 1;
    if (a.severity !== b.severity) return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity];
    return a.createdAt < b.createdAt ? 1 : -1;
  });
}

export type OpenAlertCounts = Record<string, { count: number; alerts: AlertView[]; top?: AlertView["severity"] | null }>;

/**
 * Open alerts across the physician's panel, for the badges on the conversation list:
 * loaded once (the dashboard when the server has it, else each patient's open alerts),
 * then kept current by `alert:new` / `alert:updated`.
 */
export function usePanelAlerts(store: ChatStore, patientIds: readonly string[], rows?: readonly DashboardRow[] | null): OpenAlertCounts {
  const [byPatient, setByPatient] = useState<OpenAlertCounts>({});
  const key = patientIds.join(",");
  /** Rows handed in by the dashboard view: no second `GET /api/dashboard`. */
  const fromDashboard = rows !== undefined;

  useEffect(() => {
    if (!rows || rows.length === 0) return;
    setByPatient((cur) => {
      const next = { ...cur };
      for (const row of rows) {
        const o = row.openAlerts;
        // Counts from the server replace ours; alerts seen live are kept for their status.
        next[row.patientId] = { count: o.total ?? o.urgent + o.high + o.medium, alerts: cur[row.patientId]?.alerts ?? [], top: row.topSeverity ?? null };
      }
      return next;
    });
  }, [rows]);

  useEffect(() => {
    if (!key || fromDashboard) return;
    const ids = key.split(",");
    let active = true;
    const load = async () => {
      try {
        const { patients } = await api.dashboard();
        if (!active) return;
        const counts: OpenAlertCounts = {};
        for (const row of patients) {
          const o = row.openAlerts;
          const n = typeof o === "number" ? o : (o?.total ?? (o?.urgent ?? 0) + (o?.high ?? 0) + (o?.medium ?? 0));
          counts[row.patientId] = { count: n, alerts: [], top: row.topSeverity ?? null };
        }
        setByPatient((cur) => ({ ...counts, ...cur }));
        return;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 404) return;
      }
      // No dashboard on this server: each patient's open alerts, a few at a time.
      const queue = ids.slice();
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined && active; id = queue.shift()) {
          try {
            const { alerts } = await api.alerts(id, "open");
            if (!active) return;
            setByPatient((cur) => (cur[id] ? cur : { ...cur, [id]: { count: alerts.length, alerts } }));
          } catch {
            // A patient whose alerts cannot be read shows no badge.
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
    };
    void load();
    return () => {
      active = false;
    };
  }, [key, fromDashboard]);

  useEffect(() => {
    const apply = (alert: AlertView) =>
      setByPatient((cur) => {
        const entry = cur[alert.patientId] ?? { count: 0, alerts: [] };
        const known = entry.alerts.find((a) => a.id === alert.id);
        let count = entry.count;
        if (alert.status === "open" && !known) count += 1;
        if (alert.status !== "open" && (!known || known.status === "open")) count = Math.max(0, count - 1);
        return { ...cur, [alert.patientId]: { ...entry, count, alerts: upsertAlert(entry.alerts, alert), top: alert.status === "open" ? entry.top : null } };
      });
    const offNew = store.onPush("alert:new", ({ alert }) => apply(alert));
    const offUpdated = store.onPush("alert:updated", ({ alert }) => apply(alert));
    return () => {
      offNew();
      offUpdated();
    };
  }, [store]);

  return byPatient;
}

/** One patient's alerts (with evidence), live, and acknowledging them. */
export function usePatientAlerts(store: ChatStore, patientId: string) {
  const [alerts, setAlerts] = useState<AlertView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Record<string, boolean>>({});

  useEffect(() => {
    let active = true;
    setAlerts(null);
    setError(null);
    const load = () =>
      api
        .alerts(patientId)
        .then(({ alerts: rows }) => active && setAlerts((cur) => rows.reduce(upsertAlert, cur ?? [])))
        .catch((e: unknown) => active && setError(describeError(e)));
    void load();
    const apply = ({ alert }: { alert: AlertView }) => {
      if (alert.patientId === patientId) setAlerts((cur) => upsertAlert(cur ?? [], alert));
    };
    const offNew = store.onPush("alert:new", (payload) => {
      apply(payload);
      // The push leaves the evidence out: read the full record for the care team.
      if (payload.alert.patientId === patientId) void load();
    });
    const offUpdated = store.onPush("alert:updated", apply);
    return () => {
      active = false;
      offNew();
      offUpdated();
    };
  }, [store, patientId]);

  const acknowledge = useCallback(
    async (alertId: string) => {
      setBusy((b) => ({ ...b, [alertId]: true }));
      setError(null);
      try {
        const r = await store.request("alert:ack", { alertId });
        let alert: AlertView;
        if (r.kind === "ok") alert = r.data.alert;
        else if (r.kind === "error") throw new ApiError(400, r.error.code, r.error.message);
        else alert = (await api.ackAlert(alertId)).alert;
        setAlerts((cur) => upsertAlert(cur ?? [], alert));
      } catch (e) {
        setError(describeError(e));
      } finally {
        setBusy((b) => ({ ...b, [alertId]: false }));
      }
    },
    [store],
  );

  return { alerts, error, busy, acknowledge };
}
