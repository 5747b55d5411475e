import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { objectIdSchema, type AuditEntryView } from "@glp1/shared";
import { api, describeError, type AuditParams } from "../api.js";
import { shortId } from "../staff/useNow.js";
import type { StaffDirectory } from "./AdminView.js";

const PAGE_SIZE = 50;

/** "Dec 3, 18:16:42": an audit trail needs the seconds. */
function formatAuditTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { month: "short", day: "numeric", ...(d.getFullYear() === new Date().getFullYear() ? {} : { year: "numeric" }), hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** Actions worth offering in the filter (any `<domain>:<verb>` may be typed). */
const KNOWN_ACTIONS = [
  "auth:login",
  "auth:logout",
  "auth:mfa",
  "auth:mfa_gate",
  "auth:password",
  "auth:session_end",
  "admin:create_user",
  "admin:disable_user",
  "admin:care_team",
  "audit:read",
  "audit:disclosures",
  "patient:break_glass",
  "metrics:read",
  "prescription:sign",
  "dashboard:read",
  "dashboard:update",
  "triage:list",
  "triage:preview",
  "triage:route",
  "triage:respond",
  "chat:send",
  "chat:join",
  "anomaly:close",
  "training:record",
];

interface Filters {
  userId: string;
  patientId: string;
  action: string;
  from: string;
  to: string;
}
const EMPTY: Filters = { userId: "", patientId: "", action: "", from: "", to: "" };

/** A `datetime-local` value as an ISO instant (the admin's time zone), or undefined. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/**
 * The audit trail, newest first, filtered by the server. The API pages by `limit` only, so
 * "Older" asks again with `to` = the oldest entry shown and drops the entries already seen
 * (several may share that instant).
 */
export function AuditTab({ directory }: { directory: StaffDirectory }) {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  /** `to` cursors of the pages before the current one (for "Newer"). */
  const [cursors, setCursors] = useState<{ to: string | undefined; skip: string[] }[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [entries, setEntries] = useState<AuditEntryView[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [seenAtCursor, setSeenAtCursor] = useState<string[]>([]);
  const ids = { user: useId(), patient: useId(), action: useId(), from: useId(), to: useId(), list: useId() };

  const load = useCallback(async (f: Filters, to: string | undefined, skip: readonly string[]) => {
    setBusy(true);
    setError(null);
    try {
      const params: AuditParams = {
        ...(f.userId ? { userId: f.userId } : {}),
        ...(f.patientId ? { patientId: f.patientId } : {}),
        ...(f.action ? { action: f.action } : {}),
        ...(isoOf(f.from) ? { from: isoOf(f.from) } : {}),
        ...(to ?? isoOf(f.to) ? { to: to ?? isoOf(f.to) } : {}),
        limit: Math.min(1000, PAGE_SIZE + 1 + skip.length),
      };
      const { entries: got } = await api.audit(params);
      const fresh = got.filter((e) => !skip.includes(e.id));
      setHasMore(fresh.length > PAGE_SIZE);
      setEntries(fresh.slice(0, PAGE_SIZE));
    } catch (e) {
      setError(describeError(e));
      setEntries([]);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void load(applied, cursor, seenAtCursor);
  }, [applied, cursor, seenAtCursor, load]);

  const apply = (e?: FormEvent, next: Filters = draft) => {
    e?.preventDefault();
    const bad = (["userId", "patientId"] as const).find((k) => next[k] && !objectIdSchema.safeParse(next[k].trim()).success);
    if (bad) {
      setError(`${bad === "userId" ? "User" : "Patient"} id must be 24 characters, 0–9 and a–f.`);
      return;
    }
    if (next.action && !/^[a-z_]+:[a-z_]+$/.test(next.action.trim())) {
      setError("An action looks like domain:verb, e.g. auth:login.");
      return;
    }
    const clean = { ...next, userId: next.userId.trim().toLowerCase(), patientId: next.patientId.trim().toLowerCase(), action: next.action.trim() };
    setDraft(clean);
    setApplied(clean);
    setCursors([]);
    setCursor(undefined);
    setSeenAtCursor([]);
  };

  const older = () => {
    const last = entries?.at(-1);
    if (!last) return;
    setCursors((c) => [...c, { to: cursor, skip: seenAtCursor }]);
    setSeenAtCursor((entries ?? []).filter((e) => e.at === last.at).map((e) => e.id));
    setCursor(last.at);
  };
  const newer = () => {
    const prev = cursors.at(-1);
    setCursors((c) => c.slice(0, -1));
    setSeenAtCursor(prev?.skip ?? []);
    setCursor(prev?.to);
  };
  const filterBy = (patch: Partial<Filters>) => apply(undefined, { ...applied, ...patch });
  const userLabel = (e: AuditEntryView) => directory.nameOf(e.userId) ?? shortId(e.userId);

  return (
    <section className="card" aria-labelledby="audit-title">
      <div className="card-header">
        <h2 id="audit-title">Audit log</h2>
        <span className="muted small">Newest first · reading the log is audited too</span>
      </div>
      <form className="audit-filters" onSubmit={apply} noValidate data-testid="audit-filters">
        <div className="filter-field">
          <label htmlFor={ids.user}>User</label>
          <input id={ids.user} className="mono" list={`${ids.list}-users`} data-testid="audit-user" value={draft.userId} maxLength={40} autoComplete="off" spellCheck={false} onChange={(e) => setDraft({ ...draft, userId: e.target.value })} placeholder="user id" />
          <datalist id={`${ids.list}-users`}>
            {(directory.staff ?? []).map((s) => (
              <option key={s.userId} value={s.userId}>
                {s.name}
              </option>
            ))}
          </datalist>
        </div>
        <div className="filter-field">
          <label htmlFor={ids.patient}>Patient</label>
          <input id={ids.patient} className="mono" data-testid="audit-patient" value={draft.patientId} maxLength={40} autoComplete="off" spellCheck={false} onChange={(e) => setDraft({ ...draft, patientId: e.target.value })} placeholder="patient id" />
        </div>
        <div className="filter-field">
          <label htmlFor={ids.action}>Action</label>
          <input id={ids.action} list={`${ids.list}-actions`} data-testid="audit-action" value={draft.action} maxLength={60} autoComplete="off" spellCheck={false} onChange={(e) => setDraft({ ...draft, action: e.target.value })} placeholder="e.g. auth:login" />
          <datalist id={`${ids.list}-actions`}>
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div className="filter-field">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="datetime-local" data-testid="audit-from" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </div>
        <div className="filter-field">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="datetime-local" data-testid="audit-to" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </div>
        <div className="filter-buttons">
          <button type="submit" className="button-primary" data-testid="audit-apply" disabled={busy}>
            Apply
          </button>
          <button type="button" className="button-quiet" onClick={() => apply(undefined, EMPTY)}>
            Clear
          </button>
        </div>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {entries === null ? (
        <p className="muted small">Loading…</p>
      ) : entries.length === 0 ? (
        <p className="muted small" data-testid="audit-empty">
          No entries match.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table audit-table" data-testid="audit-table" aria-busy={busy}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Patient</th>
                <th scope="col">Outcome</th>
                <th scope="col">IP</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action} title={e.userAgent ?? undefined}>
                  <td className="nowrap" title={e.at}>
                    {formatAuditTime(e.at)}
                  </td>
                  <td>
                    {e.userId ? (
                      <button type="button" className="button-link small" title={e.userId} onClick={() => filterBy({ userId: e.userId ?? "" })}>
                        {userLabel(e)}
                      </button>
                    ) : (
                      <span className="muted">—</span>
                    )}
                    {e.role && <span className="muted small"> {e.role}</span>}
                  </td>
                  <td>
                    <button type="button" className="button-link small mono" onClick={() => filterBy({ action: e.action })}>
                      {e.action}
                    </button>
                  </td>
                  <td className="small">
                    {e.resource}
                    {e.resourceId ? <span className="muted mono"> {shortId(e.resourceId)}</span> : null}
                  </td>
                  <td>
                    {e.patientId ? (
                      <button type="button" className="button-link small mono" title={e.patientId} data-testid="audit-patient-link" onClick={() => filterBy({ patientId: e.patientId ?? "" })}>
                        {shortId(e.patientId)}
                      </button>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    <span className={`pill outcome-${e.outcome}`}>{e.outcome}</span>
                  </td>
                  <td className="small mono">{e.ip ?? "—"}</td>
                  <td className="small">{e.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button type="button" className="button-secondary" data-testid="audit-newer" disabled={busy || cursors.length === 0} onClick={newer}>
          ← Newer
        </button>
        <span className="muted small">Page {cursors.length + 1}</span>
        <button type="button" className="button-secondary" data-testid="audit-older" disabled={busy || !hasMore} onClick={older}>
          Older →
        </button>
      </div>
    </section>
  );
}
