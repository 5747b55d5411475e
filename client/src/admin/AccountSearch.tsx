import { useCallback, useId, useRef, useState, type FormEvent } from "react";
import { ROLES, searchTextSchema, type PublicUser, type Role, type UserSearchResult } from "@glp1/shared";
import { describeError } from "../api.js";
import { ROLE_LABELS } from "../format.js";
import { DisableButton, ResetMfaButton } from "./AccountActions.js";
import { adminApi } from "./adminApi.js";

interface Props {
  me: PublicUser;
  /** Open the care-team tab for this patient. */
  onCareTeam: (patient: { id: string; name: string }) => void;
  /** Open the audit log filtered on this account. */
  onAudit: (user: UserSearchResult) => void;
}

/**
 * Find any account (patients included) by name, email or id, and act on it: disable,
 * reset MFA, set a patient's care team, read the account's audit trail. The search text
 * goes in a POST body, never a URL, and every search is audited by the server.
 */
export function AccountSearch({ me, onCareTeam, onAudit }: Props) {
  const [q, setQ] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [last, setLast] = useState<{ q: string; role: Role | "" } | null>(null);
  const [results, setResults] = useState<UserSearchResult[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const ids = { q: useId(), role: useId(), hint: useId() };

  /** Bumped by every search and every clear: a late answer to an older search is dropped. */
  const seq = useRef(0);

  const run = useCallback(async (query: { q: string; role: Role | "" }) => {
    const mine = ++seq.current;
    setBusy(true);
    setError(null);
    try {
      const r = await adminApi.searchUsers(query.q, query.role ? { role: query.role } : {});
      if (mine !== seq.current) return;
      setResults(r.users);
      setTruncated(r.truncated);
      setLast(query);
    } catch (e) {
      if (mine === seq.current) setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }, []);

  /** No query, no results: an empty search must not leave the last answer up as if it were its own. */
  const clear = () => {
    seq.current += 1;
    setResults(null);
    setTruncated(false);
    setLast(null);
    setNotice(null);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (q.trim() === "") {
      clear();
      setError("Type a name or email (or an account id) to search.");
      return;
    }
    const parsed = searchTextSchema.safeParse(q);
    if (!parsed.success) {
      clear();
      setError("Type a name (or the start of one), an exact email, or an account id.");
      return;
    }
    setNotice(null);
    void run({ q: parsed.data, role });
  };
  const refresh = () => {
    if (last) void run(last);
  };

  return (
    <section className="card" aria-labelledby="find-title" data-testid="account-search">
      <h2 id="find-title">Find an account</h2>
      <form onSubmit={submit} noValidate className="audit-filters" data-testid="account-search-form">
        <div className="filter-field">
          <label htmlFor={ids.q}>Name, email or id</label>
          <input
            id={ids.q}
            type="search"
            data-testid="account-search-q"
            value={q}
            maxLength={254}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={ids.hint}
            onChange={(e) => {
              setQ(e.target.value);
              if (e.target.value.trim() === "") {
                clear();
                setError(null);
              }
            }}
          />
        </div>
        <div className="filter-field">
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} className="select" data-testid="account-search-role" value={role} onChange={(e) => setRole(e.target.value as Role | "")}>
            <option value="">Any</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-buttons">
          <button type="submit" className="button-primary" data-testid="account-search-submit" disabled={busy}>
            {busy ? "Searching…" : "Search"}
          </button>
        </div>
      </form>
      <p id={ids.hint} className="field-hint">
        Names match from the start of any word (“ann sm” finds Ann Smith); emails must be complete. Searches are audited.
      </p>
      {error && (
        <p className="form-error" role="alert" data-testid="account-search-error">
          {error}
        </p>
      )}
      {notice && (
        <p className="form-success small" role="status" data-testid="account-search-notice">
          {notice}
        </p>
      )}
      {results &&
        (results.length === 0 ? (
          <p className="muted small" data-testid="account-search-empty">
            No account matches.
          </p>
        ) : (
          <div className="table-scroll">
            <table className="data-table account-results" data-testid="account-search-results" aria-busy={busy}>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">MFA</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {results.map((u) => (
                  <tr key={u.id} data-testid="account-row" data-user-id={u.id}>
                    <td>
                      {u.name} <span className="muted small mono" title={u.id}>{u.id.slice(-6)}</span>
                    </td>
                    <td className="small">{u.email}</td>
                    <td>{ROLE_LABELS[u.role]}</td>
                    <td>{u.status === "active" ? <span className="pill pill-ok">Active</span> : <span className="pill">Disabled</span>}</td>
                    <td>{u.mfaEnrolled ? <span className="pill pill-ok">On</span> : <span className="muted small">Off</span>}</td>
                    <td>
                      <span className="confirm-inline row-actions">
                        {u.id === me.id ? (
                          <span className="muted small">You</span>
                        ) : (
                          <>
                            {u.status === "active" && <DisableButton userId={u.id} label={u.name} onDone={refresh} />}
                            {u.mfaEnrolled && (
                              <ResetMfaButton
                                userId={u.id}
                                label={u.name}
                                onDone={(r) => {
                                  setNotice(`Multi-factor sign-in reset for ${r.user.name}; ${r.ended} session${r.ended === 1 ? "" : "s"} ended. They set it up again at their next sign-in.`);
                                  refresh();
                                }}
                              />
                            )}
                          </>
                        )}
                        {u.role === "patient" && (
                          <button type="button" className="button-quiet" data-testid="account-care-team" onClick={() => onCareTeam({ id: u.id, name: u.name })}>
                            Care team…
                          </button>
                        )}
                        <button type="button" className="button-quiet" data-testid="account-audit" onClick={() => onAudit(u)}>
                          Audit trail
                        </button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      {truncated && <p className="muted small">More accounts match: type more of the name, or choose a role.</p>}
    </section>
  );
}
