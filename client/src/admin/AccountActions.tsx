import { useEffect, useId, useRef, useState } from "react";
import { MFA_RESET_REASONS, type MfaResetReason, type MfaResetResponse } from "@glp1/shared";
import { api, describeError } from "../api.js";
import { adminApi, MFA_RESET_LABELS } from "./adminApi.js";

/** Disable an account (after a confirming second press): it cannot sign in and its sessions end. */
export function DisableButton({ userId, label, onDone }: { userId: string; label: string; onDone: () => void }) {
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const disable = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.disableUser(userId);
      onDone();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      setConfirm(false);
    }
  };
  if (error) return <span className="form-error small">{error}</span>;
  return confirm ? (
    <span className="confirm-inline">
      <button type="button" className="button-danger" data-testid="disable-confirm" disabled={busy} onClick={() => void disable()} aria-label={`Disable ${label}: confirm`}>
        {busy ? "…" : "Disable"}
      </button>
      <button type="button" className="button-quiet" onClick={() => setConfirm(false)}>
        Keep
      </button>
    </span>
  ) : (
    <button type="button" className="button-quiet" data-testid="disable-user" onClick={() => setConfirm(true)} aria-label={`Disable ${label}`}>
      Disable…
    </button>
  );
}

/**
 * Reset an account's multi-factor sign-in (with a reason code for the audit trail): its
 * sessions end at once, and staff must set MFA up again at their next sign-in.
 */
export function ResetMfaButton({ userId, label, onDone }: { userId: string; label: string; onDone: (result: MfaResetResponse) => void }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button type="button" className="button-quiet" data-testid="mfa-reset" onClick={() => setOpen(true)} aria-label={`Reset multi-factor sign-in of ${label}`}>
        Reset MFA…
      </button>
    );
  }
  return (
    <MfaResetForm
      userId={userId}
      label={label}
      onCancel={() => setOpen(false)}
      onDone={(result) => {
        setOpen(false);
        onDone(result);
      }}
    />
  );
}

/**
 * The open reset: a reason, then the reset. No reason is chosen for the admin (the audit
 * trail records it): "Reset" stays disabled until one is.
 */
export function MfaResetForm({ userId, label, onCancel, onDone }: { userId: string; label: string; onCancel: () => void; onDone: (result: MfaResetResponse) => void }) {
  const [reason, setReason] = useState<MfaResetReason | "">("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reasonId = useId();
  const select = useRef<HTMLSelectElement>(null);
  // The button that opened this is gone: focus moves to the choice it asks for.
  useEffect(() => select.current?.focus(), []);
  const reset = async () => {
    if (!reason) return;
    setBusy(true);
    setError(null);
    try {
      const result = await adminApi.resetMfa(userId, reason);
      onDone(result);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="confirm-inline">
      <label htmlFor={reasonId} className="visually-hidden">
        Reason for the reset
      </label>
      <select ref={select} id={reasonId} className="select" data-testid="mfa-reset-reason" value={reason} required onChange={(e) => setReason(e.target.value as MfaResetReason | "")}>
        <option value="" disabled>
          Choose a reason…
        </option>
        {MFA_RESET_REASONS.map((r) => (
          <option key={r} value={r}>
            {MFA_RESET_LABELS[r]}
          </option>
        ))}
      </select>
      <button type="button" className="button-danger" data-testid="mfa-reset-confirm" disabled={busy || !reason} onClick={() => void reset()} aria-label={`Reset multi-factor sign-in of ${label}: confirm`}>
        {busy ? "…" : "Reset"}
      </button>
      <button type="button" className="button-quiet" onClick={onCancel}>
        Keep
      </button>
      {error && <span className="form-error small">{error}</span>}
    </span>
  );
}
