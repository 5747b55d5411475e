import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ROLES, createUserSchema, type PublicUser, type Role, type TrainingStatusView } from "@glp1/shared";
import { api, ApiError, describeError } from "../api.js";
import type { ChatStore } from "../chat/store.js";
import { ROLE_LABELS } from "../format.js";
import { DisableButton } from "./AccountActions.js";
import { AccountSearch } from "./AccountSearch.js";
import { AuditTab, type AuditPreset } from "./AuditTab.js";
import { CareTeamsTab } from "./CareTeamsTab.js";
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
  /** Handed from the account search to the tab it opens (a new key re-mounts that tab with it). */
  const [careTeamPatient, setCareTeamPatient] = useState<{ id: string; name: string; key: number } | null>(null);
  const [auditPreset, setAuditPreset] = useState<(AuditPreset & { key: number }) | null>(null);
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
        {tab === "accounts" && (
          <AccountsTab
            me={user}
            directory={directory}
            onCareTeam={(p) => {
              setCareTeamPatient({ ...p, key: Date.now() });
              setTab("careteams");
            }}
            onAudit={(u) => {
              setAuditPreset({ ...(u.role === "patient" ? { patientId: u.id } : { userId: u.id }), key: Date.now() });
              setTab("audit");
            }}
          />
        )}
        {tab === "careteams" && <CareTeamsTab key={careTeamPatient?.key} directory={directory} initialPatient={careTeamPatient} />}
        {tab === "audit" && <AuditTab key={auditPreset?.key} directory={directory} preset={auditPreset} />}
        {tab === "anomalies" && <AnomaliesTab store={store} directory={directory} />}
        {tab === "training" && <TrainingTab directory={directory} />}
        {tab === "disclosures" && <DisclosuresTab />}
      </div>
    </main>
  );
}

// ---- accounts -------------------------------------------------------------------------

function AccountsTab({ me, directory, onCareTeam, onAudit }: { me: PublicUser; directory: StaffDirectory } & Pick<Parameters<typeof AccountSearch>[0], "onCareTeam" | "onAudit">) {
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
    setCreated(null);
    if (!parsed.success) {
      // Every field that needs fixing at once, in the form's order.
      const wrong = new Set(parsed.error.issues.map((i) => String(i.path[0] ?? "")));
      const problems = [
        wrong.has("name") && "Enter a name (up to 120 characters, no control characters).",
        wrong.has("email") && "Enter a valid email address.",
        wrong.has("password") && "The password must be at least 10 characters (and at most 72 bytes).",
      ].filter((p): p is string => typeof p === "string");
      setError(problems.length > 0 ? problems.join(" ") : "Check the fields.");
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
      setError(err instanceof ApiError && err.code === "CONFLICT" ? "An account with this email address already exists." : describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <AccountSearch me={me} onCareTeam={onCareTeam} onAudit={onAudit} />
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
        </section>
      </div>
    </>
  );
}
