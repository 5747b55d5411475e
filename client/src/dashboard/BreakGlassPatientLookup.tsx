import { useId, useState, type KeyboardEvent } from "react";
import { searchTextSchema, type PatientLookupResult } from "@glp1/shared";
import { ApiError, describeError, request } from "../api.js";

const lookup = (q: string) => request<{ patients: PatientLookupResult[] }>("POST", "/api/breakglass/patients/search", { q });

/** Whose record a reference is (the lookup takes a record id too); audited like any lookup. */
export const lookupById = async (patientId: string): Promise<PatientLookupResult[]> => (await lookup(patientId)).patients;

/**
 * Find the patient for emergency access by what the physician has been told: the exact
 * email or the full name (no partial names, no browsing; the answer is names only). The
 * text goes in a POST body, never a URL, and each lookup is audited. It sits inside the
 * break-glass form, so Enter searches here instead of submitting.
 */
export function BreakGlassPatientLookup({ onPick }: { onPick: (patient: PatientLookupResult) => void }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<PatientLookupResult[] | null>(null);
  const [picked, setPicked] = useState<PatientLookupResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { input: useId(), hint: useId() };

  const find = async () => {
    if (busy) return;
    const parsed = searchTextSchema.safeParse(q);
    if (!parsed.success) {
      setError("Type the patient's full name or email.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setResults((await lookup(parsed.data)).patients);
    } catch (e) {
      setError(e instanceof ApiError && e.code === "VALIDATION_FAILED" ? "Type a full name, or a complete email address." : describeError(e));
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
  const pick = (p: PatientLookupResult) => {
    setPicked(p);
    setResults(null);
    onPick(p);
  };

  return (
    <div className="field" data-testid="break-glass-lookup">
      <label htmlFor={ids.input}>Find the patient</label>
      <div className="input-row">
        <input
          id={ids.input}
          type="search"
          data-testid="break-glass-lookup-q"
          value={q}
          maxLength={254}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={ids.hint}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" className="button-secondary" data-testid="break-glass-lookup-find" disabled={busy} onClick={() => void find()}>
          {busy ? "Finding…" : "Find"}
        </button>
      </div>
      <p id={ids.hint} className="field-hint">
        Their full name or exact email. The lookup is audited.
      </p>
      {picked && (
        <p className="small" data-testid="break-glass-lookup-picked">
          Chosen: <strong>{picked.name}</strong>
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
            No active patient has that full name or email.
          </p>
        ) : (
          <ul className="version-list" aria-label="Matching patients">
            {results.map((p) => (
              <li key={p.id}>
                <button type="button" className="button-link" data-testid="break-glass-lookup-result" onClick={() => pick(p)}>
                  {p.name}
                </button>{" "}
                <span className="muted small mono">ref …{p.id.slice(-6)}</span>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}
