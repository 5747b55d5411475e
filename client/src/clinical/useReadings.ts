import { useCallback, useEffect, useState } from "react";
import type { MetricKind, Reading } from "@glp1/shared";
import { api, describeError } from "../api.js";
import type { ChatStore } from "../chat/store.js";

/** Readings merged by id, oldest first. */
export function mergeReadings(current: readonly Reading[], incoming: readonly Reading[]): Reading[] {
  const byId = new Map(current.map((r) => [r.id, r]));
  for (const r of incoming) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => (a.observedAt < b.observedAt ? -1 : a.observedAt > b.observedAt ? 1 : 0));
}

export interface ReadingsState {
  readings: Reading[];
  loading: boolean;
  error: string | null;
  /** The live feed is on. */
  live: boolean;
  reload: () => void;
  add: (readings: readonly Reading[]) => void;
}

/**
 * A patient's readings (optionally one kind): fetched once, then kept current by the live
 * feed (`metrics:subscribe` + `metrics:update`). In memory only.
 */
export function useReadings(store: ChatStore, patientId: string, kind?: MetricKind): ReadingsState {
  const [readings, setReadings] = useState<Reading[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [nonce, setNonce] = useState(0);

  useEffect(() => {
    let active = true;
    setLoading(true);
    setError(null);
    api
      .metrics(patientId, kind)
      .then(({ readings: rows }) => {
        if (active) setReadings((cur) => mergeReadings(nonce === 0 ? [] : cur, rows));
      })
      .catch((e: unknown) => active && setError(describeError(e)))
      .finally(() => active && setLoading(false));
    return () => {
      active = false;
    };
  }, [patientId, kind, nonce]);

  useEffect(() => {
    const off = store.onPush("metrics:update", (payload) => {
      if (payload.patientId !== patientId) return;
      const rows = kind ? payload.readings.filter((r) => r.kind === kind) : payload.readings;
      if (rows.length > 0) setReadings((cur) => mergeReadings(cur, rows));
    });
    const feed = store.watchMetrics(patientId);
    let active = true;
    void feed.ready.then((r) => active && setLive(r.kind === "ok"));
    return () => {
      active = false;
      off();
      feed.stop();
    };
  }, [store, patientId, kind]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const add = useCallback(
    (rows: readonly Reading[]) => {
      const wanted = kind ? rows.filter((r) => r.kind === kind) : rows;
      if (wanted.length > 0) setReadings((cur) => mergeReadings(cur, wanted));
    },
    [kind],
  );
  return { readings, loading, error, live, reload, add };
}
