import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ROLES, createUserSchema, objectIdSchema, type PublicUser, type Role, type TrainingStatusView } from "@glp1/shared";
import { api, describeError, type CareTeamView } from "../api.js";
import type { ChatStore } from "../chat/store.js";
import { ROLE_LABELS } from "../format.js";
import { AuditTab } from "./AuditTab.js";
import { AnomaliesTab, DisclosuresTab, TrainingTab } from "./ComplianceTabs.js";

type Tab = "accounts" | "careteams" | "audit" | "anomalies" | "training" | "disclosures";
const TABS: { id: Tab; label: string }[] = [
  { id: "accounts", label: "Accounts" },
  { id: "careteams", label: "Care teams" },
  { id: "audit", label: "Audit log" },
  { id: "anomalies", label: "Anomalies" },
  { id: "training", label: "Training" },
  { id: "disclosures", label: "Disclosures" },
];

/** Staff known to the admin screens (from the training roster: the only list of people the API offers). */
export interface StaffDirectory {
  staff: TrainingStatusView[] | null;
  error: string | null;
  reload: () => void;
  nameOf: (userId: string | null) => string | null;
}

function useStaff(): StaffDirectory {
  const [staff, setStaff] = useState<TrainingStatusView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api
      .training()
      .then(({ staff: list }) => {
        setStaff(list);
        setError(null);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, []);
  useEffect(() => reload(), [reload]);
  const nameOf = useCallback((id: string | null) => (id ? (staff?.find((s) => s.userId === id)?.name ?? null) : null), [staff]);
  return { staff, error, reload, nameOf };
}

/** Admin's home: accounts, care teams, the audit trail and the compliance tools, as tabs. */
export function AdminView({ user, store }: { user: PublicUser; store: ChatStore }) {
  const [tab, setTab] = useState<Tab>("accounts");
  const directory = useStaff();
  return (
    <main className="staff-page" id="main">
      <div className="staff-inner staff-wide">
        <header className="staff-header">
          <h1>Clinic administration</h1>
        </header>
        <nav className="filter-tabs admin-tabs" aria-label="Administration">
          {TABS.map((t) => (
            <button key={t.id} type="button" className="section-tab" data-testid={`admin-tab-${t.id}`} aria-current={tab === t.id ? "page" : undefined} onClick={() => setTab(t.id)}>
              {t.label}
            </button>
          ))}
        </nav>
        {tab === "accounts" && <AccountsTab me={user} directory={directory} />}
        {tab === "careteams" && <CareTeamsTab directory={directory} />}
        {tab === "audit" && <AuditTab directory={directory} />}
        {tab === "anomalies" && <AnomaliesTab store={store} directory={directory} />}
        {tab === "training" && <TrainingTab directory={directory} />}
        {tab === "disclosures" && <DisclosuresTab />}
      </div>
    </main>
  );
}

// ---- accounts -------------------------------------------------------------------------

function AccountsTab({ me, directory }: { me: PublicUser; directory: StaffDirectory }) {
  const [role, setRole] = useState<Role>("physician");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<PublicUser | null>(null);
  const ids = { role: useId(), name: useId(), email: useId(), password: useId() };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const parsed = createUserSchema.safeParse({ role, name, email, password });
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? "");
      setError(
        field === "password"
          ? "The password must be at least 10 characters (and at most 72 bytes)."
          : field === "email"
            ? "Enter a valid email address."
            : field === "name"
              ? "Enter a name (up to 120 characters, no control characters)."
              : "Check the fields.",
      );
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { user } = await api.createUser(parsed.data);
      setCreated(user);
      setName("");
      setEmail("");
      setPassword("");
      if (user.role !== "patient") directory.reload();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="admin-grid">
      <section className="card" aria-labelledby="create-title">
        <h2 id="create-title">Create an account</h2>
        <form onSubmit={create} noValidate className="stack-form" data-testid="create-user-form">
          <div className="field">
            <label htmlFor={ids.role}>Role</label>
            <select id={ids.role} className="select" data-testid="create-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.name}>Full name</label>
            <input id={ids.name} data-testid="create-name" value={name} maxLength={120} autoComplete="off" onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.email}>Email</label>
            <input id={ids.email} data-testid="create-email" type="email" value={email} maxLength={254} autoComplete="off" onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Initial password</label>
            <input id={ids.password} data-testid="create-password" type="password" value={password} autoComplete="new-password" onChange={(e) => setPassword(e.target.value)} />
            <p className="field-hint">At least 10 characters. Staff set up multi-factor sign-in at their first sign-in.</p>
          </div>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="button-primary" data-testid="create-submit" disabled={busy}>
            {busy ? "Creating…" : "Create account"}
          </button>
        </form>
        {created && (
          <div className="form-success" role="status" data-testid="create-result">
            Created {ROLE_LABELS[created.role].toLowerCase()} <strong>{created.name}</strong>. Id:{" "}
            <code className="mono" data-testid="created-id">
              {created.id}
            </code>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="staff-title">
        <div className="card-header">
          <h2 id="staff-title">Staff accounts</h2>
          <button type="button" className="button-link small" onClick={directory.reload}>
            Refresh
          </button>
        </div>
        {directory.error && <p className="form-error">{directory.error}</p>}
        {directory.staff === null ? (
          !directory.error && <p className="muted small">Loading…</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table" data-testid="staff-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Id</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {directory.staff.map((s) => (
                  <tr key={s.userId} data-testid="staff-row" data-user-id={s.userId}>
                    <td>{s.name}</td>
                    <td>{ROLE_LABELS[s.role]}</td>
                    <td>
                      <code className="mono small">{s.userId}</code>
                    </td>
                    <td>
                      {!s.active ? (
                        <span className="pill">Disabled</span>
                      ) : s.userId === me.id ? (
                        <span className="muted small">You</span>
                      ) : (
                        <DisableButton userId={s.userId} label={s.name} onDone={directory.reload} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <DisableById me={me} onDone={directory.reload} />
      </section>
    </div>
  );
}

function DisableButton({ userId, label, onDone }: { userId: string; label: string; onDone: () => void }) {
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

/** Patients are not listed anywhere an admin can reach: disable by id (e.g. from the audit log). */
function DisableById({ me, onDone }: { me: PublicUser; onDone: () => void }) {
  const [id, setId] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const inputId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const userId = id.trim().toLowerCase();
    if (!objectIdSchema.safeParse(userId).success) {
      setResult({ ok: false, text: "Enter an account id (24 characters, 0–9 and a–f)." });
      return;
    }
    if (userId === me.id) {
      setResult({ ok: false, text: "You cannot disable your own account." });
      return;
    }
    if (!confirm) {
      setConfirm(true);
      setResult(null);
      return;
    }
    setConfirm(false);
    setBusy(true);
    try {
      const r = await api.disableUser(userId);
      setResult({ ok: true, text: `Disabled ${r.user.name} (${ROLE_LABELS[r.user.role].toLowerCase()}); ${r.ended} session${r.ended === 1 ? "" : "s"} ended.` });
      setId("");
      onDone();
    } catch (err) {
      setResult({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate data-testid="disable-by-id">
      <label htmlFor={inputId}>Disable any account by id</label>
      <div className="input-row">
        <input
          id={inputId}
          data-testid="disable-id"
          className="mono"
          value={id}
          maxLength={40}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => {
            setId(e.target.value);
            setConfirm(false);
          }}
        />
        <button type="submit" className={confirm ? "button-danger" : "button-secondary"} data-testid="disable-id-submit" disabled={busy}>
          {busy ? "Disabling…" : confirm ? "Confirm: disable" : "Disable…"}
        </button>
      </div>
      {confirm && <p className="small notice">Its sessions end at once and it can no longer sign in. Press again to confirm.</p>}
      {result && (
        <p className={result.ok ? "form-success small" : "form-error small"} role="status" data-testid="disable-result">
          {result.text}
        </p>
      )}
    </form>
  );
}

// ---- care teams -----------------------------------------------------------------------

function CareTeamsTab({ directory }: { directory: StaffDirectory }) {
  const [patientId, setPatientId] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [extra, setExtra] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<CareTeamView | null>(null);
  const ids = { patient: useId(), extra: useId() };
  const physicians = (directory.staff ?? []).filter((s) => s.role === "physician" && s.active);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const pid = patientId.trim().toLowerCase();
    const pasted = extra
      .split(/[\s,]+/)
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const physicianIds = [...new Set([...chosen, ...pasted])];
    if (!objectIdSchema.safeParse(pid).success) return setError("Enter the patient's id (24 characters, 0–9 and a–f).");
    if (physicianIds.length === 0) return setError("Choose at least one physician.");
    if (physicianIds.some((id) => !objectIdSchema.safeParse(id).success)) return setError("Every pasted physician id must be 24 characters, 0–9 and a–f.");
    if (physicianIds.length > 10) return setError("At most 10 physicians.");
    setBusy(true);
    setError(null);
    try {
      setResult((await api.setCareTeam(pid, physicianIds)).careTeam);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card admin-narrow" aria-labelledby="ct-title">
      <h2 id="ct-title">Set a patient&apos;s care team</h2>
      <p className="small muted">
        The care team replaces the current one; a conversation opens between the patient and each physician. The API lists no patients: paste the patient&apos;s id (from the account you created, the audit log or a disclosure export).
      </p>
      <form onSubmit={submit} noValidate className="stack-form" data-testid="care-team-form">
        <div className="field">
          <label htmlFor={ids.patient}>Patient id</label>
          <input id={ids.patient} className="mono" data-testid="care-team-patient" value={patientId} maxLength={40} autoComplete="off" spellCheck={false} onChange={(e) => setPatientId(e.target.value)} />
        </div>
        <fieldset className="choice-group">
          <legend>Physicians</legend>
          {directory.staff === null ? (
            <p className="muted small">Loading…</p>
          ) : physicians.length === 0 ? (
            <p className="muted small">No active physicians.</p>
          ) : (
            <div className="choices">
              {physicians.map((p) => (
                <label key={p.userId} className="choice">
                  <input
                    type="checkbox"
                    data-testid="care-team-physician"
                    value={p.userId}
                    checked={chosen.has(p.userId)}
                    onChange={(e) =>
                      setChosen((cur) => {
                        const next = new Set(cur);
                        if (e.target.checked) next.add(p.userId);
                        else next.delete(p.userId);
                        return next;
                      })
                    }
                  />{" "}
                  {p.name} <span className="muted small mono">{p.userId.slice(-6)}</span>
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <div className="field">
          <label htmlFor={ids.extra}>Or paste physician ids</label>
          <input id={ids.extra} className="mono" data-testid="care-team-extra" value={extra} autoComplete="off" spellCheck={false} onChange={(e) => setExtra(e.target.value)} />
          <p className="field-hint">Separated by spaces or commas.</p>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button-primary" data-testid="care-team-submit" disabled={busy}>
          {busy ? "Saving…" : "Save care team"}
        </button>
      </form>
      {result && (
        <p className="form-success" role="status" data-testid="care-team-result">
          Saved: {result.physicianIds.map((id) => directory.nameOf(id) ?? id).join(", ")}. {result.conversationIds.length} conversation
          {result.conversationIds.length === 1 ? "" : "s"} open.
        </p>
      )}
    </section>
  );
}
