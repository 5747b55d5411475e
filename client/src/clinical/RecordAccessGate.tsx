import { useCallback, useSyncExternalStore, type ReactNode } from "react";
import type { ChatStore } from "../chat/store.js";

interface Props {
  store: ChatStore;
  patientId: string;
  patientName: string;
  onBack?: () => void;
  /** A break-glass record: its own expiry closes it (see the physician view), not this. */
  emergency?: boolean;
  children: ReactNode;
}

/**
 * The physician's record of a patient, or, once they are no longer on that patient's care
 * team, a plain statement of that in its place. The record's panels unmount, so nothing
 * asks the server again (each refusal would be audited and raise a security anomaly), and
 * no empty panel ("No open alerts", "0 readings") passes for real data.
 */
export function RecordAccessGate({ store, patientId, patientName, onBack, emergency = false, children }: Props) {
  const lost = useSyncExternalStore(
    store.subscribe,
    useCallback(() => store.getSnapshot().lostPatients[patientId] === true, [store, patientId]),
  );
  if (emergency || !lost) return <>{children}</>;
  return (
    <section className="patient-panel" aria-labelledby="patient-panel-title" data-testid="patient-panel-access-lost">
      <header className="panel-header">
        {onBack && (
          <button type="button" className="button-quiet back-button" onClick={onBack}>
            <span aria-hidden="true">←</span> All patients
          </button>
        )}
        <div className="chat-heading">
          <h2 id="patient-panel-title">{patientName}</h2>
          <p className="chat-subtitle">Patient record</p>
        </div>
      </header>
      <div className="panel-scroll">
        <div className="notice" role="status">
          <p>
            <strong>You are no longer on this patient&apos;s care team.</strong>
          </p>
          <p>Their record and conversation are closed to you. If you still need access, ask a clinic administrator.</p>
        </div>
        {onBack && (
          <button type="button" className="button-secondary" onClick={onBack}>
            Back to the dashboard
          </button>
        )}
      </div>
    </section>
  );
}
