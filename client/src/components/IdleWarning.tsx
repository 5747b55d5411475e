import { useEffect, useId, useRef, type KeyboardEvent } from "react";
import { formatCountdown } from "../idle.js";

interface Props {
  msLeft: number;
  busy: boolean;
  error: string | null;
  onStay: () => void;
  onSignOut: () => void;
}

/** "You will be signed out in m:ss for inactivity." A modal dialog; focus starts on "Stay". */
export function IdleWarning({ msLeft, busy, error, onStay, onSignOut }: Props) {
  const titleId = useId();
  const textId = useId();
  const stay = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    stay.current?.focus();
    return () => previous?.focus?.();
  }, []);

  // Keep Tab inside the dialog.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== "Tab" || !dialog.current) return;
    const buttons = Array.from(dialog.current.querySelectorAll<HTMLButtonElement>("button:not([disabled])"));
    const first = buttons[0];
    const last = buttons[buttons.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="modal-backdrop">
      <div
        ref={dialog}
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={textId}
        data-testid="idle-warning"
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>Are you still there?</h2>
        <p id={textId}>
          You will be signed out in{" "}
          <strong className="countdown" data-testid="idle-countdown">
            {formatCountdown(msLeft)}
          </strong>{" "}
          for inactivity.
        </p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" className="button-secondary" data-testid="idle-signout" onClick={onSignOut}>
            Sign out
          </button>
          <button
            ref={stay}
            type="button"
            className="button-primary"
            data-testid="idle-stay"
            onClick={onStay}
            disabled={busy}
          >
            Stay signed in
          </button>
        </div>
      </div>
    </div>
  );
}
