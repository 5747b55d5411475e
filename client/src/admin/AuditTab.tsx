import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { objectIdSchema, type AuditEntryView } from "@glp1/shared";
import { describeError, type AuditParams } from "../api.js";
import { shortId } from "../staff/useNow.js";
import type { StaffDirectory } from "./AdminView.js";
import { adminApi } from "./adminApi.js";
import { UserPicker } from "./UserPicker.js";

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
  "admin:user_search",
  "admin:mfa_reset",
  "patient:search",
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

/** Filters another tab opens the log with (the account search's "Audit trail"). */
export type AuditPreset = Partial<Pick<Filters, "userId" | "patientId">>;

/** A `datetime-local` value as an ISO instant (the admin's time zone), or undefined. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/**
 * The audit trail, newest first, filtered by the server. It pages back by the server's
 * cursor: "Older" asks for the entries before the last one shown (`before` = its id), and
 * the cursors of the pages seen are kept so "Newer" can go back without gaps or repeats.
 */
export function AuditTab({ directory, preset = null }: { directory: StaffDirectory; preset?: AuditPreset | null }) {
  const initial: Filters = { ...EMPTY, ...preset };
  const [draft, setDraft] = useState<Filters>(initial);
  const [applied, setApplied] = useState<Filters>(initial);
  /** The `before` cursors of the pages before the current one (for "Newer"). */
  const [cursors, setCursors] = useState<(string | undefined)[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [entries, setEntries] = useState<AuditEntryView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { user: useId(), patient: useId(), action: useId(), from: useId(), to: useId(), list: useId() };

  const load = useCallback(async (f: Filters, before: string | undefined) => {
    setBusy(true);
    setError(null);
    try {
      const params: AuditParams & { before?: string } = {
        ...(f.userId ? { userId: f.userId } : {}),
        ...(f.patientId ? { patientId: f.patientId } : {}),
        ...(f.action ? { action: f.action } : {}),
        ...(isoOf(f.from) ? { from: isoOf(f.from) } : {}),
        ...(isoOf(f.to) ? { to: isoOf(f.to) } : {}),
        ...(before ? { before } : {}),
        limit: PAGE_SIZE,
      };
      const page = await adminApi.auditPage(params);
      setEntries(page.entries);
      setNext(page.next);
    } catch (e) {
      setError(describeError(e));
      setEntries([]);
      setNext(null);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void load(applied, cursor);
  }, [applied, cursor, load]);

  const apply = (e?: FormEvent, nextFilters: Filters = draft) => {
    e?.preventDefault();
    const bad = (["userId", "patientId"] as const).find((k) => nextFilters[k] && !objectIdSchema.safeParse(nextFilters[k].trim().toLowerCase()).success);
    if (bad) {
      setError(`${bad === "userId" ? "User" : "Patient"} id must be 24 characters, 0–9 and a–f.`);
      return;
    }
    if (nextFilters.action && !/^[a-z_]+:[a-z_]+$/.test(nextFilters.action.trim())) {
      setError("An action looks like domain:verb, e.g. auth:login.");
      return;
    }
    const clean = { ...nextFilters, userId: nextFilters.userId.trim().toLowerCase(), patientId: nextFilters.patientId.trim().toLowerCase(), action: nextFilters.action.trim() };
    setDraft(clean);
    setApplied(clean);
    setCursors([]);
    setCursor(undefined);
  };

  const older = () => {
    if (!next) return;
    setCursors((c) => [...c, cursor]);
    setCursor(next);
  };
  const newer = () => {
    setCursor(cursors.at(-1));
    setCursors((c) => c.slice(0, -1));
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
      <UserPicker
        label="Filter by a person"
        testId="audit-find"
        onPick={(u) => apply(undefined, { ...applied, ...(u.role === "patient" ? { patientId: u.id, userId: "" } : { userId: u.id, patientId: "" }) })}
        hint="Find an account by name, email or id: a patient filters on their record, staff on what they did."
      />
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
        <button type="button" className="button-secondary" data-testid="audit-older" disabled={busy || !next} onClick={older}>
          Older entries →
        </button>
      </div>
    </section>
  );
}
