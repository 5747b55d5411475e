import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import {
  ANOMALY_RESOLUTIONS,
  TRAINING_VALID_DAYS,
  objectIdSchema,
  trainingRecordSchema,
  type AnomalyResolution,
  type AnomalyRule,
  type AnomalyView,
} from "@glp1/shared";
import { api, describeError } from "../api.js";
import type { ChatStore } from "../chat/store.js";
import { formatDate, formatDateTime } from "../clinical/labels.js";
import { ROLE_LABELS } from "../format.js";
import { saveBlob, shortId } from "../staff/useNow.js";
import type { StaffDirectory } from "./AdminView.js";
import { UserPicker } from "./UserPicker.js";

export const RULE_LABELS: Record<AnomalyRule, string> = {
  bulk_patient_reads: "Many patient records read",
  off_hours_bulk_reads: "Many records read outside clinic hours",
  care_team_denied: "Refused access outside care team",
  break_glass: "Emergency (break-glass) access",
  login_failures_account: "Failed sign-ins on one account",
  login_failures_ip: "Failed sign-ins from one address",
};

/** What a rule counts, in words: "4 record accesses under break glass — alerts at 1". */
const RULE_UNITS: Record<AnomalyRule, [one: string, many: string]> = {
  bulk_patient_reads: ["patient's record read", "patients' records read"],
  off_hours_bulk_reads: ["patient's record read out of hours", "patients' records read out of hours"],
  care_team_denied: ["refused access", "refused accesses"],
  break_glass: ["record access under break glass", "record accesses under break glass"],
  login_failures_account: ["failed sign-in", "failed sign-ins"],
  login_failures_ip: ["failed sign-in", "failed sign-ins"],
};

/** The anomaly's count against its rule's threshold, as a sentence fragment (not "4 (threshold 1)"). */
export function anomalyCountText(a: Pick<AnomalyView, "rule" | "count" | "threshold">): string {
  const [one, many] = RULE_UNITS[a.rule] ?? ["event", "events"];
  return `${a.count} ${a.count === 1 ? one : many} — alerts at ${a.threshold}`;
}

const RESOLUTION_LABELS: Record<AnomalyResolution, string> = {
  benign: "Benign",
  investigating: "Investigating",
  confirmed: "Confirmed incident",
};

// ---- anomalies ------------------------------------------------------------------------

export function AnomaliesTab({ store, directory }: { store: ChatStore; directory: StaffDirectory }) {
  const [status, setStatus] = useState<"open" | "closed" | "all">("open");
  const [list, setList] = useState<AnomalyView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());

  const load = useCallback(async (s: "open" | "closed" | "all") => {
    try {
      const { anomalies } = await api.anomalies(s === "all" ? undefined : s);
      setList(anomalies);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);

  useEffect(() => {
    setList(null);
    void load(status);
  }, [status, load]);

  useEffect(
    () =>
      store.onPush("anomaly:new", ({ anomaly }) => {
        if (status === "closed") return;
        setList((cur) => (cur ? [anomaly, ...cur.filter((a) => a.id !== anomaly.id)] : cur));
        setFresh((f) => new Set(f).add(anomaly.id));
      }),
    [store, status],
  );

  const replaced = (a: AnomalyView) =>
    setList((cur) => (cur ? (status === "open" ? cur.filter((x) => x.id !== a.id) : cur.map((x) => (x.id === a.id ? a : x))) : cur));

  return (
    <section className="card" aria-labelledby="anomalies-title">
      <div className="card-header">
        <h2 id="anomalies-title">Anomalies</h2>
        <nav className="filter-tabs" aria-label="Anomaly status">
          {(["open", "closed", "all"] as const).map((s) => (
            <button key={s} type="button" className="section-tab" data-testid={`anomaly-filter-${s}`} aria-current={status === s ? "page" : undefined} onClick={() => setStatus(s)}>
              {s === "open" ? "Open" : s === "closed" ? "Closed" : "All"}
            </button>
          ))}
        </nav>
      </div>
      <p className="small muted">Raised by rules over the audit stream; new ones appear here live.</p>
      {error && <p className="form-error">{error}</p>}
      {list === null ? (
        !error && <p className="muted small">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted small" data-testid="anomaly-empty">
          No {status === "all" ? "" : status} anomalies.
        </p>
      ) : (
        <ul className="anomaly-list" data-testid="anomaly-list">
          {list.map((a) => (
            <AnomalyItem key={a.id} a={a} isNew={fresh.has(a.id)} who={directory.nameOf(a.userId)} onClosed={replaced} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** One anomaly; closing it asks for a resolution, none chosen in advance. */
export function AnomalyItem({ a, isNew, who, onClosed }: { a: AnomalyView; isNew: boolean; who: string | null; onClosed: (a: AnomalyView) => void }) {
  const [resolution, setResolution] = useState<AnomalyResolution | "">("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const close = async () => {
    if (!resolution) return;
    setBusy(true);
    setError(null);
    try {
      onClosed((await api.closeAnomaly(a.id, resolution)).anomaly);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className={`anomaly-item status-${a.status}${isNew ? " is-new" : ""}`} data-testid="anomaly-item" data-rule={a.rule}>
      <div className="anomaly-main">
        <p className="strong">
          {RULE_LABELS[a.rule] ?? a.rule} {isNew && <span className="pill pill-warn">New</span>}
        </p>
        <p className="small muted">
          {a.rule === "login_failures_ip" ? `Address ${a.subject}` : `User ${who ?? shortId(a.subject)}`} · <span data-testid="anomaly-count">{anomalyCountText(a)}</span> · {formatDateTime(a.windowStart)} – {formatDateTime(a.lastSeenAt)}
        </p>
        {a.status === "closed" && (
          <p className="small">
            Closed {formatDateTime(a.closedAt)} as <strong>{a.resolution ? RESOLUTION_LABELS[a.resolution] : "—"}</strong>
          </p>
        )}
        {error && <p className="form-error small">{error}</p>}
      </div>
      {a.status === "open" && (
        <div className="anomaly-actions">
          <label htmlFor={id} className="visually-hidden">
            Resolution
          </label>
          <select id={id} data-testid="anomaly-resolution" value={resolution} required onChange={(e) => setResolution(e.target.value as AnomalyResolution | "")}>
            <option value="" disabled>
              Choose a resolution…
            </option>
            {ANOMALY_RESOLUTIONS.map((r) => (
              <option key={r} value={r}>
                {RESOLUTION_LABELS[r]}
              </option>
            ))}
          </select>
          <button type="button" className="button-secondary" data-testid="anomaly-close" disabled={busy || !resolution} onClick={() => void close()}>
            {busy ? "Closing…" : "Close"}
          </button>
        </div>
      )}
    </li>
  );
}

// ---- training -------------------------------------------------------------------------

const todayLocal = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

export function TrainingTab({ directory }: { directory: StaffDirectory }) {
  const [userId, setUserId] = useState("");
  const [date, setDate] = useState(todayLocal);
  const [course, setCourse] = useState("HIPAA Privacy & Security annual training");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const ids = { user: useId(), date: useId(), course: useId() };
  const staff = directory.staff ?? [];
  const lapsed = staff.filter((s) => s.active && s.lapsed).length;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    // A date picked today means "now"; an earlier date, midday of that day (local time).
    const picked = new Date(`${date}T12:00:00`);
    const completedAt = date === todayLocal() || picked.getTime() > Date.now() ? new Date().toISOString() : picked.toISOString();
    const parsed = trainingRecordSchema.safeParse({ userId, completedAt, course: course.trim() });
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? "");
      setError(field === "userId" ? "Choose a staff member." : field === "completedAt" ? "The date cannot be in the future." : "Course: 2–120 letters, digits and simple punctuation.");
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const { record } = await api.recordTraining(parsed.data);
      setDone(`Recorded ${record.course} for ${directory.nameOf(record.userId) ?? shortId(record.userId)} (${formatDate(record.completedAt)}).`);
      directory.reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="admin-grid">
      <section className="card" aria-labelledby="training-title">
        <div className="card-header">
          <h2 id="training-title">Workforce training</h2>
          <span className={lapsed > 0 ? "pill pill-danger" : "pill pill-ok"} data-testid="training-lapsed-count">
            {lapsed} lapsed
          </span>
        </div>
        <p className="small muted">Annual HIPAA training; a completion older than {TRAINING_VALID_DAYS} days has lapsed.</p>
        {directory.error && <p className="form-error">{directory.error}</p>}
        {directory.staff === null ? (
          !directory.error && <p className="muted small">Loading…</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" data-testid="training-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Last completed</th>
                  <th scope="col">Course</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {staff.map((s) => (
                  <tr key={s.userId} data-testid="training-row" data-lapsed={s.lapsed}>
                    <td>
                      {s.name}
                      {!s.active && <span className="muted small"> (disabled)</span>}
                    </td>
                    <td className="nowrap">{ROLE_LABELS[s.role]}</td>
                    <td className="nowrap">{s.lastCompletedAt ? formatDate(s.lastCompletedAt) : "Never"}</td>
                    <td>{s.lastCourse ?? "—"}</td>
                    <td>{s.lapsed ? <span className="pill pill-danger">Lapsed</span> : <span className="pill pill-ok">Current</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="record-title">
        <h2 id="record-title">Record a completion</h2>
        <form onSubmit={submit} noValidate className="stack-form" data-testid="training-form">
          <div className="field">
            <label htmlFor={ids.user}>Staff member</label>
            <select id={ids.user} className="select" data-testid="training-user" value={userId} onChange={(e) => setUserId(e.target.value)}>
              <option value="">Choose…</option>
              {staff.map((s) => (
                <option key={s.userId} value={s.userId}>
                  {s.name} ({ROLE_LABELS[s.role]}){s.lapsed ? " — lapsed" : ""}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.date}>Completed on</label>
            <input id={ids.date} type="date" data-testid="training-date" value={date} max={todayLocal()} onChange={(e) => setDate(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.course}>Course</label>
            <input id={ids.course} data-testid="training-course" value={course} maxLength={120} onChange={(e) => setCourse(e.target.value)} />
          </div>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          {done && (
            <p className="form-success" role="status" data-testid="training-done">
              {done}
            </p>
          )}
          <button type="submit" className="button-primary" data-testid="training-submit" disabled={busy}>
            {busy ? "Saving…" : "Record completion"}
          </button>
        </form>
      </section>
    </div>
  );
}

// ---- disclosures ----------------------------------------------------------------------

export function DisclosuresTab() {
  const [patientId, setPatientId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [format, setFormat] = useState<"csv" | "fhir">("csv");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const ids = { patient: useId(), from: useId(), to: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const pid = patientId.trim().toLowerCase();
    if (!objectIdSchema.safeParse(pid).success) {
      setError("Enter the patient's id (24 characters, 0–9 and a–f).");
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const params = {
        format,
        ...(from ? { from: new Date(`${from}T00:00:00`).toISOString() } : {}),
        ...(to ? { to: new Date(`${to}T23:59:59.999`).toISOString() } : {}),
      };
      const { blob, filename } = await api.disclosures(pid, params);
      const name = filename ?? `disclosures.${format === "csv" ? "csv" : "fhir.json"}`;
      saveBlob(blob, name);
      let count = "";
      if (format === "csv") count = ` · ${Math.max(0, (await blob.text()).trim().split("\n").length - 1)} disclosures`;
      setDone(`Downloaded ${name} (${blob.size.toLocaleString()} bytes${count}).`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card admin-narrow" aria-labelledby="disclosures-title">
      <h2 id="disclosures-title">Accounting of disclosures</h2>
      <p className="small muted">Every access to a patient&apos;s record by anyone but the patient, for a patient&apos;s request (HIPAA §164.528). The export itself is audited.</p>
      <form onSubmit={submit} noValidate className="stack-form" data-testid="disclosures-form">
        <UserPicker label="Find the patient" role="patient" testId="disclosures-find" onPick={(u) => setPatientId(u.id)} />
        <div className="field">
          <label htmlFor={ids.patient}>Patient id</label>
          <input id={ids.patient} className="mono" data-testid="disclosures-patient" value={patientId} maxLength={40} autoComplete="off" spellCheck={false} onChange={(e) => setPatientId(e.target.value)} />
        </div>
        <div className="field-grid">
          <div className="field">
            <label htmlFor={ids.from}>From (optional)</label>
            <input id={ids.from} type="date" data-testid="disclosures-from" value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.to}>To (optional)</label>
            <input id={ids.to} type="date" data-testid="disclosures-to" value={to} onChange={(e) => setTo(e.target.value)} />
          </div>
        </div>
        <fieldset className="choice-group">
          <legend>Format</legend>
          <div className="choices choices-inline">
            <label className="choice">
              <input type="radio" name="disclosure-format" data-testid="disclosures-csv" checked={format === "csv"} onChange={() => setFormat("csv")} /> CSV
            </label>
            <label className="choice">
              <input type="radio" name="disclosure-format" data-testid="disclosures-fhir" checked={format === "fhir"} onChange={() => setFormat("fhir")} /> FHIR (JSON)
            </label>
          </div>
        </fieldset>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {done && (
          <p className="form-success" role="status" data-testid="disclosures-done">
            {done}
          </p>
        )}
        <button type="submit" className="button-primary" data-testid="disclosures-download" disabled={busy}>
          {busy ? "Preparing…" : "Download"}
        </button>
      </form>
    </section>
  );
}
