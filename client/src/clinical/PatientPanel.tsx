import { useCallback, useEffect, useMemo, useState } from "react";
import {
  INTAKE_QUESTIONNAIRE,
  type AlertView,
  type IntakeRecord,
  type IntakeVersionSummary,
  type PrescriptionView,
  type Reading,
} from "@glp1/shared";
import { api, describeError } from "../api.js";
import type { ChatStore } from "../chat/store.js";
import { IntakeResult } from "./IntakeResult.js";
import {
  ELIGIBILITY_LABELS,
  METRIC_LABELS,
  RX_STATUS_LABELS,
  SEVERITY_LABELS,
  SYMPTOM_LABELS,
  TITRATION_KIND_LABELS,
  TITRATION_RULE_LABELS,
  alertLabel,
  drugLabel,
  formatDate,
  formatDateTime,
  formatMg,
  formatReading,
} from "./labels.js";
import { PrescriptionWriter } from "./PrescriptionWriter.js";
import { RecordAccessGate } from "./RecordAccessGate.js";
import { doseChart, doseTimeline } from "./doseTimeline.js";
import { chartData, type ChartData } from "./metricSeries.js";
import { TimeChart } from "./TimeChart.js";
import { sortAlerts, usePatientAlerts } from "./useAlerts.js";
import { useReadings } from "./useReadings.js";

interface Props {
  store: ChatStore;
  patientId: string;
  patientName: string;
  onBack?: () => void;
  /** Opened under a break-glass grant: marked as such, and no prescribing (care team only). */
  emergency?: boolean;
}

type Tab = "metrics" | "intake" | "rx";
const TABS: { id: Tab; label: string }[] = [
  { id: "metrics", label: "Metrics" },
  { id: "intake", label: "Intake" },
  { id: "rx", label: "Prescriptions" },
];

/** The physician's view of one patient, or a plain "no longer on the care team" in its place. */
export function PatientPanel(props: Props) {
  return (
    <RecordAccessGate store={props.store} patientId={props.patientId} patientName={props.patientName} onBack={props.onBack} emergency={props.emergency}>
      <PatientRecord {...props} />
    </RecordAccessGate>
  );
}

/** Open alerts always on top, then metrics, intake or prescriptions. */
function PatientRecord({ store, patientId, patientName, onBack, emergency = false }: Props) {
  const [tab, setTab] = useState<Tab>("metrics");
  const alerts = usePatientAlerts(store, patientId);

  return (
    <section className={`patient-panel${emergency ? " is-emergency" : ""}`} aria-labelledby="patient-panel-title" data-testid="patient-panel" data-emergency={emergency || undefined}>
      <header className="panel-header">
        {onBack && (
          <button type="button" className="button-quiet back-button" onClick={onBack}>
            <span aria-hidden="true">←</span> All patients
          </button>
        )}
        <div className="chat-heading">
          <h2 id="patient-panel-title">{patientName}</h2>
          <p className="chat-subtitle">
            {emergency ? (
              <span className="pill pill-emergency" data-testid="emergency-marker">
                Emergency access
              </span>
            ) : (
              "Patient record"
            )}
          </p>
        </div>
      </header>
      <div className="panel-scroll">
        <AlertList {...alerts} />
        <nav className="panel-tabs" aria-label="Patient record">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              className="section-tab"
              data-testid={`panel-tab-${t.id}`}
              aria-current={tab === t.id ? "page" : undefined}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </nav>
        {tab === "metrics" && <PatientMetrics store={store} patientId={patientId} />}
        {tab === "intake" && <PatientIntake patientId={patientId} />}
        {tab === "rx" && <PatientRxManager patientId={patientId} readOnly={emergency} />}
      </div>
    </section>
  );
}

// ---- alerts ---------------------------------------------------------------------------

const EVIDENCE_LABELS: Record<string, string> = {
  glucoseMgdl: "glucose (mg/dL)",
  systolic: "systolic",
  diastolic: "diastolic",
  abdominalPain: "abdominal pain",
  vomiting: "vomiting",
  phq9: "PHQ-9",
  item9: "item 9",
  fromKg: "from (kg)",
  toKg: "to (kg)",
  weeks: "over weeks",
  kgPerWeek: "kg/week",
  baseline: "baseline /min",
  recent: "recent /min",
  severeDays: "severe days",
  daysSinceLastDose: "days since last dose",
  source: "source",
  version: "intake version",
};

/** The values that tripped the rule, as text (never markup). */
function evidenceText(evidence: Record<string, unknown> | undefined): string | null {
  if (!evidence) return null;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(evidence)) {
    if (k === "at" || k === "reason") continue;
    const label = EVIDENCE_LABELS[k] ?? k;
    if (k === "symptoms" && Array.isArray(v)) parts.push(v.map((c) => SYMPTOM_LABELS[String(c)] ?? String(c)).join("; "));
    else if (Array.isArray(v)) parts.push(`${label}: ${v.map(String).join(", ")}`);
    else if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") parts.push(`${label}: ${String(v)}`);
  }
  return parts.length ? parts.join(" · ") : null;
}

function AlertList({
  alerts,
  error,
  busy,
  acknowledge,
}: {
  alerts: AlertView[] | null;
  error: string | null;
  busy: Record<string, boolean>;
  acknowledge: (id: string) => Promise<void>;
}) {
  const [showDone, setShowDone] = useState(false);
  const sorted = useMemo(() => sortAlerts(alerts ?? []), [alerts]);
  const open = sorted.filter((a) => a.status === "open");
  const done = sorted.filter((a) => a.status !== "open");
  return (
    <section className="card alerts-card" aria-labelledby="alerts-title" data-testid="alert-list">
      <div className="card-header">
        <h3 id="alerts-title">
          Alerts{" "}
          {open.length > 0 && (
            <span className="badge badge-alert" data-testid="alert-open-count">
              {open.length}
            </span>
          )}
        </h3>
        {done.length > 0 && (
          <button type="button" className="button-link small" onClick={() => setShowDone((s) => !s)}>
            {showDone ? "Hide acknowledged" : `Acknowledged (${done.length})`}
          </button>
        )}
      </div>
      {error && <p className="form-error">{error}</p>}
      {alerts === null && !error ? (
        <p className="muted small">Loading…</p>
      ) : open.length === 0 ? (
        <p className="muted small">No open alerts.</p>
      ) : null}
      <ul className="alert-list" aria-live="polite">
        {[...open, ...(showDone ? done : [])].map((a) => (
          <li key={a.id} className={`alert-item severity-${a.severity} status-${a.status}`} data-testid="alert-item" data-alert-kind={a.kind}>
            <span className={`severity-badge severity-${a.severity}`} data-testid="alert-severity">
              {SEVERITY_LABELS[a.severity]}
            </span>
            <div className="alert-body">
              <p className="alert-title">{alertLabel(a.kind)}</p>
              <p className="small muted">
                {formatDateTime(a.createdAt)}
                {a.occurrences > 1 ? ` · seen ${a.occurrences} times` : ""}
                {a.status !== "open" && a.acknowledgedAt ? ` · acknowledged ${formatDateTime(a.acknowledgedAt)}` : ""}
              </p>
              {evidenceText(a.evidence) && <p className="small alert-evidence">{evidenceText(a.evidence)}</p>}
            </div>
            {a.status === "open" && (
              <button
                type="button"
                className="button-secondary"
                data-testid="alert-ack"
                disabled={busy[a.id]}
                onClick={() => void acknowledge(a.id)}
              >
                {busy[a.id] ? "…" : "Acknowledge"}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

// ---- metrics --------------------------------------------------------------------------

function PatientMetrics({ store, patientId }: { store: ChatStore; patientId: string }) {
  const { readings, loading, error, reload } = useReadings(store, patientId);

  const weight = useMemo(() => chartData("weight", readings), [readings]);
  const bp = useMemo(() => chartData("bp", readings), [readings]);
  const glucose = useMemo(() => chartData("glucose", readings), [readings]);
  const recent = readings.slice(-25).reverse();

  return (
    <div className="panel-section" data-testid="panel-metrics">
      {error && (
        <p className="form-error">
          {error}{" "}
          <button type="button" className="button-link" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      <div className="chart-grid">
        <ChartCard title="Weight" testId="weight-chart" data={weight} loading={loading} />
        <ChartCard title="Blood pressure" testId="bp-chart" data={bp} loading={loading} />
        <ChartCard title="Glucose" testId="glucose-chart" data={glucose} loading={loading} />
      </div>
      <DoseTimelineCard readings={readings} loading={loading} />
      <section className="card" aria-labelledby="recent-readings-title">
        <div className="card-header">
          <h3 id="recent-readings-title">Recent readings</h3>
        </div>
        {recent.length === 0 ? (
          <p className="muted small">{loading ? "Loading…" : "No readings yet."}</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" data-testid="metrics-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Reading</th>
                  <th scope="col">Value</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((r) => (
                  <tr key={r.id} data-testid="metrics-row">
                    <td className="nowrap">{formatDateTime(r.observedAt)}</td>
                    <td>{METRIC_LABELS[r.kind]}</td>
                    <td>{formatReading(r)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

const DOSE_COLORS = ["#0f766e", "#7c3aed"];

/** Doses taken over time: a stepped chart of mg, and the steps and gaps in words beside it. */
function DoseTimelineCard({ readings, loading }: { readings: readonly Reading[]; loading: boolean }) {
  const events = useMemo(() => doseTimeline(readings), [readings]);
  const chart = useMemo(() => doseChart(readings), [readings]);
  const series = useMemo(() => chart.drugs.map((d, i) => ({ label: drugLabel(d), values: chart.values[i]!, color: DOSE_COLORS[i % DOSE_COLORS.length]!, stepped: true })), [chart]);
  const doses = chart.times.length;
  return (
    <section className="card chart-card dose-card" aria-labelledby="dose-timeline-title" data-testid="dose-timeline">
      <div className="card-header">
        <h3 id="dose-timeline-title">Dose timeline</h3>
        <span className="muted small">
          {doses} dose{doses === 1 ? "" : "s"} logged
        </span>
      </div>
      {doses === 0 ? (
        <p className="muted small chart-empty">{loading ? "Loading…" : "No doses logged yet."}</p>
      ) : (
        <div className="dose-layout">
          <TimeChart times={chart.times} series={series} unit="mg" label="Dose taken over time, in mg" testId="dose-chart" height={170} />
          <ol className="dose-steps" aria-label="Dose steps, newest first">
            {[...events].reverse().map((e) =>
              e.type === "gap" ? (
                <li key={`gap-${e.from}`} className="dose-gap" data-testid="dose-gap">
                  <span className="strong">No dose for {e.days} days</span>
                  <span className="muted small">
                    {formatDate(new Date(e.from).toISOString())} – {formatDate(new Date(e.to).toISOString())}
                  </span>
                </li>
              ) : (
                <li key={`step-${e.from}`} className="dose-step" data-testid="dose-step">
                  <span className="strong">
                    {drugLabel(e.drug)} {formatMg(e.mg)}
                  </span>
                  <span className="muted small">
                    {formatDate(new Date(e.from).toISOString())}
                    {e.to !== e.from ? ` – ${formatDate(new Date(e.to).toISOString())}` : ""} · {e.doses} dose{e.doses === 1 ? "" : "s"}
                  </span>
                </li>
              ),
            )}
          </ol>
        </div>
      )}
    </section>
  );
}

function ChartCard({ title, testId, data, loading }: { title: string; testId: string; data: ChartData; loading: boolean }) {
  return (
    <section className="card chart-card" aria-label={`${title} chart`}>
      <div className="card-header">
        <h3>{title}</h3>
        <span className="muted small">
          {data.n} reading{data.n === 1 ? "" : "s"}
        </span>
      </div>
      {data.n === 0 ? (
        <p className="muted small chart-empty" data-testid={testId}>
          {loading ? "Loading…" : "No readings yet."}
        </p>
      ) : (
        <TimeChart times={data.times} series={data.series} unit={data.unit} label={`${title} over time, in ${data.unit}`} testId={testId} height={190} guides={data.guides} />
      )}
    </section>
  );
}

// ---- intake ---------------------------------------------------------------------------

function answerText(id: string, value: unknown): string {
  const item = INTAKE_QUESTIONNAIRE.items.find((i) => i.id === id);
  if (!item) return String(value);
  const label = (code: unknown) => item.options?.find((o) => o.code === code)?.label ?? String(code);
  if (Array.isArray(value)) return value.length === 0 ? "None" : value.map(label).join("; ");
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (item.type === "single") return label(value);
  return `${String(value)}${item.unit ? ` ${item.unit}` : ""}`;
}

function PatientIntake({ patientId }: { patientId: string }) {
  const [latest, setLatest] = useState<IntakeRecord | null>(null);
  const [versions, setVersions] = useState<IntakeVersionSummary[] | null>(null);
  const [shown, setShown] = useState<IntakeRecord | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let active = true;
    api
      .intake(patientId)
      .then((r) => {
        if (!active) return;
        setLatest(r.intake);
        setShown(r.intake);
        setVersions(r.versions);
      })
      .catch((e: unknown) => active && setError(describeError(e)));
    return () => {
      active = false;
    };
  }, [patientId]);

  const open = async (version: number) => {
    if (shown?.version === version) return;
    if (latest?.version === version) {
      setShown(latest);
      return;
    }
    try {
      setShown((await api.intakeVersion(patientId, version)).intake);
    } catch (e) {
      setError(describeError(e));
    }
  };

  if (error) return <p className="form-error">{error}</p>;
  if (versions === null) return <p className="muted small">Loading…</p>;
  if (!latest || !shown) return <p className="card muted" data-testid="physician-intake">No intake submitted yet.</p>;

  return (
    <div className="panel-section" data-testid="physician-intake">
      <IntakeResult
        intake={shown}
        title={shown.version === latest.version ? "Latest intake" : `Intake version ${shown.version}`}
        testId="intake-result"
        audience="physician"
      />
      <details className="card answers">
        <summary>Answers</summary>
        <dl className="answer-list">
          {INTAKE_QUESTIONNAIRE.items
            .filter((i) => (shown.answers as Record<string, unknown>)[i.id] !== undefined)
            .map((i) => (
              <div key={i.id}>
                <dt>{i.label}</dt>
                <dd>{answerText(i.id, (shown.answers as Record<string, unknown>)[i.id])}</dd>
              </div>
            ))}
        </dl>
      </details>
      <section className="card" aria-labelledby="intake-versions-title">
        <div className="card-header">
          <h3 id="intake-versions-title">Versions</h3>
        </div>
        <ul className="version-list" data-testid="intake-versions">
          {versions.map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className="version-item"
                data-testid="intake-version"
                aria-current={shown.version === v.version ? "true" : undefined}
                onClick={() => void open(v.version)}
              >
                <span>Version {v.version}</span>
                <span className="muted small">{formatDateTime(v.createdAt)}</span>
                <span className={`status-pill status-${v.status}`}>{ELIGIBILITY_LABELS[v.status]}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

// ---- prescriptions --------------------------------------------------------------------

function PatientRxManager({ patientId, readOnly }: { patientId: string; readOnly: boolean }) {
  const [list, setList] = useState<PrescriptionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  const load = useCallback(() => {
    api
      .prescriptions(patientId)
      .then(({ prescriptions }) => {
        setList(prescriptions);
        setError(null);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [patientId]);
  useEffect(() => load(), [load]);

  const changed = (rx: PrescriptionView) => {
    setList((cur) => {
      const rest = (cur ?? []).filter((p) => p.id !== rx.id);
      return [rx, ...rest].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    });
    setVersion((v) => v + 1);
  };

  return (
    <div className="panel-section">
      {readOnly ? (
        <p className="notice small">Prescribing stays with the patient&apos;s care team; emergency access is read-only here.</p>
      ) : (
        <PrescriptionWriter patientId={patientId} version={version} onCreated={changed} />
      )}
      <section className="card" aria-labelledby="rx-list-title">
        <div className="card-header">
          <h3 id="rx-list-title">Prescriptions</h3>
        </div>
        {error && <p className="form-error">{error}</p>}
        {list === null ? (
          !error && <p className="muted small">Loading…</p>
        ) : list.length === 0 ? (
          <p className="muted small" data-testid="rx-list">
            None yet.
          </p>
        ) : (
          <ul className="rx-list" data-testid="rx-list">
            {list.map((rx) => (
              <PhysicianRx key={rx.id} rx={rx} onChanged={changed} readOnly={readOnly} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function PhysicianRx({ rx, onChanged, readOnly = false }: { rx: PrescriptionView; onChanged: (rx: PrescriptionView) => void; readOnly?: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState<{ valid: boolean; reason?: string } | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);

  const act = async (action: "sign" | "send" | "cancel") => {
    setBusy(action);
    setError(null);
    try {
      const { prescription } = await api.prescriptionAction(rx.id, action);
      setVerified(null);
      setConfirmCancel(false);
      onChanged(prescription);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };
  const verify = async () => {
    setBusy("verify");
    setError(null);
    try {
      setVerified(await api.verifyPrescription(rx.id));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };

  const canCancel = !readOnly && (rx.status === "draft" || rx.status === "signed" || rx.status === "sent");
  return (
    <li className="rx-card rx-row" data-testid="rx-item" data-rx-status={rx.status}>
      <div className="card-header">
        <p className="rx-title">
          {drugLabel(rx.drug)} <span className="rx-dose">{formatMg(rx.doseMg)}</span>{" "}
          <span className="muted small">({TITRATION_KIND_LABELS[rx.titration.kind]})</span>
        </p>
        <span className={`status-pill rx-status-${rx.status}`} data-testid="rx-status">
          {RX_STATUS_LABELS[rx.status]}
        </span>
      </div>
      <p className="rx-directions">{rx.directions}</p>
      <p className="small muted">
        {rx.quantity} pen{rx.quantity === 1 ? "" : "s"} · {rx.refills} refill{rx.refills === 1 ? "" : "s"} · written {formatDate(rx.createdAt)}
        {rx.signedAt ? ` · signed ${formatDate(rx.signedAt)}` : ""}
        {rx.signature ? ` · ${rx.signature.alg} key ${rx.signature.keyId.slice(0, 8)}` : ""}
      </p>
      {rx.override && (
        <p className="small override-note">
          Override{rx.override.rule ? ` (${TITRATION_RULE_LABELS[rx.override.rule]})` : ""}: {rx.override.reason}
        </p>
      )}
      <div className="rx-actions">
        {rx.status === "draft" && !readOnly && (
          <button type="button" className="button-primary" data-testid="rx-sign" disabled={busy !== null} onClick={() => void act("sign")}>
            {busy === "sign" ? "Signing…" : "Sign"}
          </button>
        )}
        {rx.status === "signed" && !readOnly && (
          <button type="button" className="button-primary" data-testid="rx-send" disabled={busy !== null} onClick={() => void act("send")}>
            {busy === "send" ? "Sending…" : "Send to pharmacy"}
          </button>
        )}
        {rx.signature && (
          <button type="button" className="button-secondary" data-testid="rx-verify" disabled={busy !== null} onClick={() => void verify()}>
            {busy === "verify" ? "Checking…" : "Verify signature"}
          </button>
        )}
        {canCancel &&
          (confirmCancel ? (
            <span className="confirm-inline">
              <button type="button" className="button-danger" data-testid="rx-cancel-confirm" disabled={busy !== null} onClick={() => void act("cancel")}>
                {busy === "cancel" ? "Cancelling…" : "Yes, cancel it"}
              </button>
              <button type="button" className="button-quiet" onClick={() => setConfirmCancel(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="button-quiet" data-testid="rx-cancel" disabled={busy !== null} onClick={() => setConfirmCancel(true)}>
              Cancel prescription
            </button>
          ))}
      </div>
      {verified && (
        <p className={verified.valid ? "form-success" : "form-error"} role="status" data-testid="rx-verify-result">
          {verified.valid
            ? "Signature valid: the prescription is unchanged since it was signed."
            : `Signature NOT valid${verified.reason ? ` (${verified.reason.replace(/_/g, " ")})` : ""}.`}
        </p>
      )}
      {error && <p className="form-error">{error}</p>}
    </li>
  );
}
