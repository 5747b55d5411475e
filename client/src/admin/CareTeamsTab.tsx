import { useEffect, useState, type FormEvent } from "react";
import type { CareTeamMember } from "@glp1/shared";
import { api, describeError } from "../api.js";
import type { StaffDirectory } from "./AdminView.js";
import { adminApi } from "./adminApi.js";
import { careTeamChanges, describeChanges, listNames } from "./careTeamChanges.js";
import { UserPicker } from "./UserPicker.js";

type Team = { status: "none" } | { status: "loading" } | { status: "error"; message: string } | { status: "ready"; members: CareTeamMember[] };

interface Saved {
  patientName: string;
  team: string[];
  lines: string[];
}

/**
 * A patient's care team. It starts from the team as it stands (ticked), says in words what
 * a save would change, and asks before taking anyone off: a physician removed loses the
 * patient's conversation and record at once.
 */
export function CareTeamsTab({ directory, initialPatient }: { directory: StaffDirectory; initialPatient: { id: string; name: string } | null }) {
  const [patient, setPatient] = useState<{ id: string; name: string } | null>(initialPatient ? { id: initialPatient.id, name: initialPatient.name } : null);
  const [team, setTeam] = useState<Team>({ status: "none" });
  const [reload, setReload] = useState(0);
  /** Ticked physicians, in the order ticked (the current team first). */
  const [chosen, setChosen] = useState<string[]>([]);
  /** Names of physicians not in the roster's list (current members, or picked by search). */
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<Saved | null>(null);

  const patientId = patient?.id ?? null;
  useEffect(() => {
    if (!patientId) return;
    let active = true;
    setTeam({ status: "loading" });
    setChosen([]);
    setConfirming(false);
    adminApi
      .careTeam(patientId)
      .then(({ physicians }) => {
        if (!active) return;
        setTeam({ status: "ready", members: physicians });
        setChosen(physicians.map((p) => p.id));
        setNames((m) => new Map([...m, ...physicians.map((p) => [p.id, p.name] as const)]));
      })
      .catch((e: unknown) => active && setTeam({ status: "error", message: describeError(e) }));
    return () => {
      active = false;
    };
  }, [patientId, reload]);

  const physicians = (directory.staff ?? []).filter((s) => s.role === "physician" && s.active);
  const listed = new Set(physicians.map((p) => p.userId));
  const members = team.status === "ready" ? team.members : [];
  const current = team.status === "ready" ? members.map((m) => m.id) : null;
  const extras = [...new Set([...(current ?? []), ...chosen])].filter((id) => !listed.has(id));
  const nameOf = (id: string) => directory.nameOf(id) ?? names.get(id) ?? id;
  const changes = current ? careTeamChanges(current, chosen) : null;
  const changed = changes !== null && (changes.added.length > 0 || changes.removed.length > 0);
  const patientName = patient?.name ?? "the patient";

  const toggle = (id: string, on: boolean) => {
    setConfirming(false);
    setSaved(null);
    setChosen((cur) => (on ? (cur.includes(id) ? cur : [...cur, id]) : cur.filter((x) => x !== id)));
  };

  const save = async () => {
    if (!patient || !changes) return;
    setBusy(true);
    setError(null);
    try {
      const { careTeam } = await api.setCareTeam(patient.id, chosen);
      const done = { added: careTeam.addedPhysicianIds, removed: careTeam.removedPhysicianIds, kept: [] };
      setSaved({ patientName: patient.name, team: careTeam.physicianIds, lines: describeChanges(done, nameOf, patient.name, "done") });
      const known = new Map(members.map((m) => [m.id, m]));
      setTeam({ status: "ready", members: careTeam.physicianIds.map((id) => known.get(id) ?? { id, name: nameOf(id), active: true }) });
      setChosen(careTeam.physicianIds);
      setConfirming(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!patient) return setError("Find and choose the patient first.");
    if (!changes) return setError("Wait for the current care team to load.");
    if (chosen.length === 0) return setError("A patient needs at least one physician. Tick the physician who takes over before removing the last one.");
    if (chosen.length > 10) return setError("At most 10 physicians.");
    if (!changed) return setError("Nothing to save: the ticked physicians are the current care team.");
    setError(null);
    // Taking someone off the team is asked about first; adding is not.
    if (changes.removed.length > 0 && !confirming) return setConfirming(true);
    void save();
  };

  const memberNote = (id: string) => {
    const m = members.find((x) => x.id === id);
    if (!m) return null;
    return <span className="muted small">{m.active ? " · on the team now" : " · on the team now (account disabled)"}</span>;
  };

  return (
    <section className="card admin-narrow" aria-labelledby="ct-title">
      <h2 id="ct-title">Care team</h2>
      <p className="small muted">
        The ticked physicians are the patient&apos;s care team. Tick a physician to add them (a conversation with the patient opens); untick one to remove
        them: they lose the patient&apos;s conversation and record at once, and the history is kept.
      </p>
      <form onSubmit={submit} noValidate className="stack-form" data-testid="care-team-form">
        <UserPicker
          label="Patient"
          role="patient"
          testId="care-team-patient"
          picked={patient}
          onPick={(u) => {
            setPatient({ id: u.id, name: u.name });
            setSaved(null);
            setError(null);
          }}
          hint="The start of the patient's name, their exact email, or their account id."
        />
        <fieldset className="choice-group" disabled={team.status !== "ready"}>
          <legend>Physicians</legend>
          {!patient ? (
            <p className="muted small">Choose the patient first: their current care team is shown here.</p>
          ) : team.status === "loading" || team.status === "none" ? (
            <p className="muted small">Loading the current care team…</p>
          ) : team.status === "error" ? (
            <p className="form-error">
              {team.message}{" "}
              <button type="button" className="button-link" onClick={() => setReload((n) => n + 1)}>
                Try again
              </button>
            </p>
          ) : directory.staff === null ? (
            <p className="muted small">Loading…</p>
          ) : (
            <>
              <p className="small" data-testid="care-team-current">
                {members.length === 0 ? "No care team yet." : `Now: ${listNames(members.map((m) => m.name))}.`}
              </p>
              <div className="choices">
                {physicians.map((p) => (
                  <label key={p.userId} className="choice">
                    <input
                      type="checkbox"
                      data-testid="care-team-physician"
                      value={p.userId}
                      checked={chosen.includes(p.userId)}
                      onChange={(e) => toggle(p.userId, e.target.checked)}
                    />{" "}
                    {p.name} <span className="muted small mono">{p.userId.slice(-6)}</span>
                    {memberNote(p.userId)}
                  </label>
                ))}
                {extras.map((id) => (
                  <label key={id} className="choice">
                    <input type="checkbox" data-testid="care-team-physician" value={id} checked={chosen.includes(id)} onChange={(e) => toggle(id, e.target.checked)} />{" "}
                    {nameOf(id)} <span className="muted small mono">{id.slice(-6)}</span>
                    {memberNote(id)}
                  </label>
                ))}
                {physicians.length === 0 && extras.length === 0 && <p className="muted small">No active physicians.</p>}
              </div>
            </>
          )}
        </fieldset>
        <UserPicker
          label="Or find a physician"
          role="physician"
          testId="care-team-find-physician"
          onPick={(u) => {
            setNames((m) => new Map(m).set(u.id, u.name));
            toggle(u.id, true);
          }}
        />
        {changes && changed && !confirming && (
          <div className="notice small" data-testid="care-team-changes">
            {describeChanges(changes, nameOf, patientName, "pending").map((line) => (
              <p key={line}>{line}</p>
            ))}
          </div>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {confirming && changes ? (
          <div className="notice" role="alertdialog" aria-labelledby="ct-confirm-title" data-testid="care-team-confirm">
            <p id="ct-confirm-title">
              <strong>
                Remove {listNames(changes.removed.map(nameOf))} from {patientName}&apos;s care team?
              </strong>
            </p>
            {describeChanges(changes, nameOf, patientName, "pending").map((line) => (
              <p key={line}>{line}</p>
            ))}
            <span className="confirm-inline">
              <button type="button" className="button-danger" data-testid="care-team-confirm-remove" disabled={busy} onClick={() => void save()}>
                {busy ? "Saving…" : "Yes, remove and save"}
              </button>
              <button type="button" className="button-quiet" disabled={busy} onClick={() => setConfirming(false)}>
                Go back
              </button>
            </span>
          </div>
        ) : (
          <button type="submit" className="button-primary" data-testid="care-team-submit" disabled={busy || team.status !== "ready" || !changed}>
            {busy ? "Saving…" : "Save care team"}
          </button>
        )}
      </form>
      {saved && (
        <div className="form-success" role="status" data-testid="care-team-result">
          <p>
            Saved. {saved.patientName}&apos;s care team is now {listNames(saved.team.map(nameOf))}.
          </p>
          {saved.lines.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      )}
    </section>
  );
}
