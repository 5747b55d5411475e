import { useCallback, useEffect, useState } from "react";
import type { PrescriptionView, PublicUser } from "@glp1/shared";
import { api, describeError } from "../api.js";
import { RX_STATUS_LABELS, drugLabel, formatDate, formatMg } from "./labels.js";

const REFILLABLE = new Set(["signed", "sent", "filled"]);

/** The patient's prescriptions (signed and later; drafts are the physician's), with refill requests. */
export function PatientPrescriptions({ user }: { user: PublicUser }) {
  const [list, setList] = useState<PrescriptionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    api
      .prescriptions(user.id)
      // A draft cancelled before signing was never a prescription for the patient (the server lists it; see the report).
      .then(({ prescriptions }) => setList(prescriptions.filter((p) => p.status !== "draft" && !(p.status === "cancelled" && !p.signedAt))))
      .catch((e: unknown) => setError(describeError(e)));
  }, [user.id]);

  useEffect(() => load(), [load]);

  return (
    <div className="clinical-page">
      <div className="page-heading">
        <h1>Your prescriptions</h1>
        <p className="muted">Prescriptions appear here once your physician has signed them.</p>
      </div>
      {error && (
        <div className="form-error" role="alert">
          {error}{" "}
          <button type="button" className="button-link" onClick={load}>
            Try again
          </button>
        </div>
      )}
      {list === null ? (
        !error && <p className="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p className="card muted" data-testid="rx-list">
          You have no prescriptions yet.
        </p>
      ) : (
        <RxGroups list={list} />
      )}
    </div>
  );
}

/**
 * The current prescription (the newest signed, sent or filled one) first, with the refill
 * request; earlier and cancelled ones folded away below, for reference only.
 */
function RxGroups({ list }: { list: PrescriptionView[] }) {
  const current = list.find((p) => REFILLABLE.has(p.status)) ?? null;
  const newer = current ? list.slice(0, list.indexOf(current)) : list;
  const earlier = current ? list.slice(list.indexOf(current) + 1) : [];
  return (
    <>
      <ul className="rx-list" data-testid="rx-list">
        {current && <PatientRx rx={current} refillable />}
        {newer.map((p) => (
          <PatientRx key={p.id} rx={p} refillable={false} />
        ))}
      </ul>
      {earlier.length > 0 && (
        <details className="card rx-earlier">
          <summary>Earlier prescriptions ({earlier.length})</summary>
          <ul className="rx-list">
            {earlier.map((p) => (
              <PatientRx key={p.id} rx={p} refillable={false} />
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

function PatientRx({ rx, refillable }: { rx: PrescriptionView; refillable: boolean }) {
  const [phase, setPhase] = useState<"idle" | "confirm" | "sending" | "done">("idle");
  const [error, setError] = useState<string | null>(null);

  const request = async () => {
    setPhase("sending");
    setError(null);
    try {
      await api.requestRefill(rx.id);
      setPhase("done");
    } catch (e) {
      setError(describeError(e));
      setPhase("confirm");
    }
  };

  return (
    <li className="card rx-card" data-testid="rx-item" data-rx-status={rx.status}>
      <div className="card-header">
        <h2 className="rx-title">
          {drugLabel(rx.drug)} <span className="rx-dose">{formatMg(rx.doseMg)}</span>
        </h2>
        <span className={`status-pill rx-status-${rx.status}`} data-testid="rx-status">
          {RX_STATUS_LABELS[rx.status]}
        </span>
      </div>
      <p className="rx-directions">{rx.directions}</p>
      <p className="small muted">
        {rx.quantity} pen{rx.quantity === 1 ? "" : "s"} · {rx.refills} refill{rx.refills === 1 ? "" : "s"}
        {rx.signedAt ? ` · signed ${formatDate(rx.signedAt)}` : ""}
        {rx.sentAt ? ` · sent ${formatDate(rx.sentAt)}` : ""}
      </p>
      {refillable && (
        <div className="rx-actions">
          {phase === "idle" && (
            <button type="button" className="button-secondary" data-testid="rx-refill" onClick={() => setPhase("confirm")}>
              Request refill
            </button>
          )}
          {(phase === "confirm" || phase === "sending") && (
            <div className="confirm" role="group" aria-label="Confirm refill request">
              <p>Ask your care team to refill this prescription?</p>
              <div className="confirm-actions">
                <button
                  type="button"
                  className="button-primary"
                  data-testid="rx-refill-confirm"
                  disabled={phase === "sending"}
                  onClick={() => void request()}
                >
                  {phase === "sending" ? "Sending…" : "Yes, request refill"}
                </button>
                <button type="button" className="button-quiet" disabled={phase === "sending"} onClick={() => setPhase("idle")}>
                  Not now
                </button>
              </div>
            </div>
          )}
          {phase === "done" && (
            <p className="form-success" role="status" data-testid="rx-refill-done">
              Refill requested. Your care team will review it.
            </p>
          )}
          {error && <p className="form-error">{error}</p>}
        </div>
      )}
    </li>
  );
}
