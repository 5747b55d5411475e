import { useId, useState, type KeyboardEvent } from "react";
import { searchTextSchema, type Role, type UserSearchResult } from "@glp1/shared";
import { describeError } from "../api.js";
import { ROLE_LABELS } from "../format.js";
import { adminApi } from "./adminApi.js";

interface Props {
  label: string;
  /** Only accounts of this role are offered. */
  role?: Role;
  /** The account chosen so far, shown under the box. */
  picked?: { id: string; name: string } | null;
  onPick: (user: UserSearchResult) => void;
  testId: string;
  hint?: string;
}

/**
 * Pick an account by name, email or id instead of pasting an id. It sits inside other
 * forms, so it is not a form itself: Enter in the box searches, it does not submit the
 * outer form. Each search is a POST (the text is PHI) and is audited by the server.
 */
export function UserPicker({ label, role, picked, onPick, testId, hint }: Props) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<UserSearchResult[] | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { input: useId(), hint: useId() };

  const find = async () => {
    if (busy) return;
    const parsed = searchTextSchema.safeParse(q);
    if (!parsed.success) {
      setError("Type a name, an email or an account id.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await adminApi.searchUsers(parsed.data, { ...(role ? { role } : {}), limit: 20 });
      setResults(r.users);
      setTruncated(r.truncated);
    } catch (e) {
      setError(describeError(e));
      setResults(null);
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    void find();
  };

  const pick = (u: UserSearchResult) => {
    onPick(u);
    setResults(null);
    setTruncated(false);
    setQ("");
  };

  return (
    <div className="field" data-testid={testId}>
      <label htmlFor={ids.input}>{label}</label>
      <div className="input-row">
        <input
          id={ids.input}
          type="search"
          data-testid={`${testId}-q`}
          value={q}
          maxLength={254}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={ids.hint}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" className="button-secondary" data-testid={`${testId}-find`} disabled={busy} onClick={() => void find()}>
          {busy ? "Finding…" : "Find"}
        </button>
      </div>
      <p id={ids.hint} className="field-hint">
        {hint ?? "The start of a name, an exact email, or an account id."}
      </p>
      {picked && (
        <p className="small" data-testid={`${testId}-picked`}>
          Chosen: <strong>{picked.name}</strong> <span className="muted mono">{picked.id.slice(-6)}</span>
        </p>
      )}
      {error && (
        <p className="form-error small" role="alert">
          {error}
        </p>
      )}
      {results &&
        (results.length === 0 ? (
          <p className="muted small" role="status">
            No {role ? ROLE_LABELS[role].toLowerCase() : "account"} matches.
          </p>
        ) : (
          <ul className="version-list" aria-label="Matching accounts" data-testid={`${testId}-results`}>
            {results.map((u) => (
              <li key={u.id}>
                <button type="button" className="button-link" data-testid={`${testId}-result`} onClick={() => pick(u)}>
                  {u.name}
                </button>{" "}
                <span className="muted small">
                  {u.email} · {ROLE_LABELS[u.role]}
                  {u.status === "disabled" ? " · disabled" : ""}
                </span>
              </li>
            ))}
          </ul>
        ))}
      {truncated && <p className="muted small">More accounts match: type more of the name.</p>}
    </div>
  );
}
