import { useId, useState, type FormEvent } from "react";
import { totpCodeSchema, type RecoveryCodesResponse } from "@glp1/shared";
import { ApiError, describeError, request } from "../api.js";

const regenerate = (totp: string) => request<RecoveryCodesResponse>("POST", "/api/auth/mfa/recovery-codes", { totp });

/**
 * New recovery codes against a current code from the authenticator app. The old codes stop
 * working at once; the new ones are shown here once and dropped from memory on "Done".
 */
export function RecoveryCodesPanel() {
  const [open, setOpen] = useState(false);
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const ids = { code: useId(), title: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const parsed = totpCodeSchema.safeParse(code);
    if (!parsed.success) {
      setError("Enter the 6-digit code your authenticator app shows now.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setCodes((await regenerate(parsed.data)).recoveryCodes);
      setCode("");
      setOpen(false);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "VALIDATION_FAILED"
          ? "That code is not correct (or was already used). Wait for the next code and try again."
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!codes) return;
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  const done = () => {
    setCodes(null);
    setCopied(false);
  };

  if (codes) {
    return (
      <div className="notice" role="status" aria-labelledby={ids.title} data-testid="recovery-codes-new">
        <p className="strong" id={ids.title}>
          Your new recovery codes
        </p>
        <p className="small">Your earlier codes no longer work. Each of these works once; they are shown only now, so print them or keep them in a password manager.</p>
        <ul className="recovery-codes mono" data-testid="recovery-codes-list">
          {codes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
        <div className="copy-row">
          <button type="button" className="button-secondary" onClick={() => void copy()}>
            {copied ? "Copied" : "Copy codes"}
          </button>
          <button type="button" className="button-primary" data-testid="recovery-codes-done" onClick={done}>
            I have saved them
          </button>
        </div>
      </div>
    );
  }

  if (!open) {
    return (
      <button type="button" className="button-secondary" data-testid="recovery-codes-open" onClick={() => setOpen(true)}>
        New recovery codes…
      </button>
    );
  }

  return (
    <form onSubmit={submit} noValidate data-testid="recovery-codes-form">
      <p className="small">New codes replace all your current ones, used or not.</p>
      <div className="field">
        <label htmlFor={ids.code}>Enter the 6-digit code your authenticator app shows</label>
        <input id={ids.code} data-testid="recovery-codes-totp" inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(e) => setCode(e.target.value)} className="code-input" />
      </div>
      {error && (
        <p className="form-error" role="alert" data-testid="recovery-codes-error">
          {error}
        </p>
      )}
      <div className="copy-row">
        <button type="submit" className="button-primary" data-testid="recovery-codes-submit" disabled={busy}>
          {busy ? "Checking…" : "Show new recovery codes"}
        </button>
        <button
          type="button"
          className="button-quiet"
          onClick={() => {
            setOpen(false);
            setError(null);
            setCode("");
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
