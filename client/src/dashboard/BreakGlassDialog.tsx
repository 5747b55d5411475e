import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { BREAK_GLASS_REASON_MAX, BREAK_GLASS_REASON_MIN, objectIdSchema, type PatientLookupResult } from "@glp1/shared";
import { ApiError, api, describeError } from "../api.js";
import { BreakGlassPatientLookup, lookupById } from "./BreakGlassPatientLookup.js";
import { resolveGrantName } from "./grants.js";

interface Props {
  /** `name`: the patient's name, to head the record (undefined only if it could not be read). */
  onGranted: (patientId: string, expiresAt: string, name?: string) => void;
  onClose: () => void;
}

/**
 * Break glass: open the record of a patient outside the panel, for an emergency. The
 * server takes the patient's reference (their record id, as shown on a referral, a triage
 * routing or by the clinic) and a written reason; every admin is alerted and every access
 * until the grant expires is audited as emergency access.
 */
export function BreakGlassDialog({ onGranted, onClose }: Props) {
  const [ref, setRef] = useState("");
  const [picked, setPicked] = useState<PatientLookupResult | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), ref: useId(), reason: useId(), hint: useId(), text: useId() };
  const first = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    first.current?.focus();
    return () => previous?.focus?.();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const patientId = ref.trim().toLowerCase();
    if (!objectIdSchema.safeParse(patientId).success) {
      setError("Enter the patient reference: 24 characters, digits and letters a–f.");
      return;
    }
    const why = reason.trim();
    if (why.length < BREAK_GLASS_REASON_MIN) {
      setError(`Write the reason for emergency access (at least ${BREAK_GLASS_REASON_MIN} characters).`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { expiresAt } = await api.breakGlass(patientId, why);
      onGranted(patientId, expiresAt, await resolveGrantName(patientId, picked, lookupById));
    } catch (err) {
      if (err instanceof ApiError && err.code === "NOT_FOUND") setError("No active patient has that reference.");
      else if (err instanceof ApiError && err.code === "CONFLICT") setError("This patient is in your care team: open them from your dashboard instead.");
      else if (err instanceof ApiError && err.code === "FORBIDDEN") setError("Only physicians may use emergency access.");
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      onClose();
      return;
    }
    if (e.key !== "Tab" || !dialog.current) return;
    const items = Array.from(dialog.current.querySelectorAll<HTMLElement>("input, textarea, button:not([disabled])"));
    const a = items[0];
    const z = items[items.length - 1];
    if (!a || !z) return;
    if (e.shiftKey && document.activeElement === a) {
      e.preventDefault();
      z.focus();
    } else if (!e.shiftKey && document.activeElement === z) {
      e.preventDefault();
      a.focus();
    }
  };

  return (
    <div className="modal-backdrop">
      <div ref={dialog} className="modal modal-wide" role="dialog" aria-modal="true" aria-labelledby={ids.title} aria-describedby={ids.text} data-testid="break-glass-dialog" onKeyDown={onKeyDown}>
        <h2 id={ids.title}>Emergency access (break glass)</h2>
        <p id={ids.text} className="small">
          Opens the record of a patient outside your panel for a limited time. Use it only for an emergency: every admin is
          alerted now, and everything you open is audited as emergency access.
        </p>
        <form onSubmit={submit} noValidate>
          <BreakGlassPatientLookup
            onPick={(p) => {
              setPicked(p);
              setRef(p.id);
            }}
          />
          <div className="field">
            <label htmlFor={ids.ref}>Patient reference</label>
            <input
              ref={first}
              id={ids.ref}
              data-testid="break-glass-patient"
              value={ref}
              onChange={(e) => setRef(e.target.value)}
              maxLength={40}
              autoComplete="off"
              spellCheck={false}
              aria-describedby={ids.hint}
            />
            <p id={ids.hint} className="field-hint">
              Filled in when you choose a patient above; or the record id (24 characters) from the referral or the clinic.
            </p>
          </div>
          <div className="field">
            <label htmlFor={ids.reason}>
              Reason <span className="required">(required)</span>
            </label>
            <textarea
              id={ids.reason}
              className="textarea"
              data-testid="break-glass-reason"
              rows={3}
              value={reason}
              maxLength={BREAK_GLASS_REASON_MAX}
              onChange={(e) => setReason(e.target.value)}
            />
            <p className="field-hint">
              {reason.trim().length}/{BREAK_GLASS_REASON_MAX} · at least {BREAK_GLASS_REASON_MIN} characters
            </p>
          </div>
          {error && (
            <p className="form-error" role="alert" data-testid="break-glass-error">
              {error}
            </p>
          )}
          <div className="modal-actions">
            <button type="button" className="button-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button-danger" data-testid="break-glass-submit" disabled={busy}>
              {busy ? "Opening…" : "Open record"}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
