import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import {
  DIRECTIONS_MAX_LENGTH,
  DRUGS,
  DRUG_NAMES,
  OVERRIDE_REASON_MAX_LENGTH,
  OVERRIDE_REASON_MIN_LENGTH,
  QUANTITY_MAX,
  REFILLS_MAX,
  checkTitration,
  createPrescriptionSchema,
  type DrugName,
  type NextStep,
  type PrescriptionView,
} from "@glp1/shared";
import { ApiError, api, describeError, type TitrationHistoryItem } from "../api.js";
import { TITRATION_KIND_LABELS, TITRATION_RULE_LABELS, drugLabel, formatDate, formatMg } from "./labels.js";

interface Props {
  patientId: string;
  /** Bumped by the parent when a prescription changes (a signature moves the ladder). */
  version: number;
  onCreated: (rx: PrescriptionView) => void;
}

const directionsFor = (drug: DrugName, mg: number) =>
  `Inject ${formatMg(mg)} of ${drug} under the skin once a week, on the same day each week.`;

/**
 * The prescription writer: the patient's current dose and where the ladder stands, doses
 * from the ladder (each marked as allowed now or needing a reason), and the override
 * round trip when the server refuses with TITRATION_RULE.
 */
export function PrescriptionWriter({ patientId, version, onCreated }: Props) {
  const [ladder, setLadder] = useState<{ next: NextStep; history: TitrationHistoryItem[] } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [drug, setDrug] = useState<DrugName>("semaglutide");
  const [doseMg, setDoseMg] = useState<number>(DRUGS.semaglutide.steps[0] ?? 0.25);
  const [directions, setDirections] = useState(() => directionsFor("semaglutide", DRUGS.semaglutide.steps[0] ?? 0.25));
  const [directionsEdited, setDirectionsEdited] = useState(false);
  const [quantity, setQuantity] = useState("1");
  const [refills, setRefills] = useState("0");
  const [override, setOverride] = useState<{ rule: string; message: string } | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const ids = { drug: useId(), dose: useId(), directions: useId(), quantity: useId(), refills: useId(), reason: useId() };

  useEffect(() => {
    let active = true;
    api
      .titration(patientId)
      .then((r) => {
        if (!active) return;
        setLadder(r);
        setLoadError(null);
        // Start from the ladder's suggestion (or the current drug's first step).
        const pick = r.next.suggested ?? r.next.allowed[0] ?? null;
        if (pick && version === 0) {
          setDrug(pick.drug);
          setDoseMg(pick.doseMg);
          setDirections(directionsFor(pick.drug, pick.doseMg));
        }
      })
      .catch((e: unknown) => active && setLoadError(describeError(e)));
    return () => {
      active = false;
    };
  }, [patientId, version]);

  const choose = (nextDrug: DrugName, mg: number) => {
    setDrug(nextDrug);
    setDoseMg(mg);
    setOverride(null);
    setReason("");
    setError(null);
    setCreated(null);
    if (!directionsEdited) setDirections(directionsFor(nextDrug, mg));
  };

  /** The client's view of each dose (same rules as the server; the server decides). */
  const verdicts = useMemo(() => {
    const history = (ladder?.history ?? []).map((h) => ({ drug: h.drug, doseMg: h.doseMg, signedAt: h.signedAt }));
    const now = new Date();
    return new Map(DRUGS[drug].steps.map((mg) => [mg, checkTitration(history, { drug, doseMg: mg }, now)]));
  }, [ladder, drug]);
  const verdict = verdicts.get(doseMg);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    setCreated(null);
    const trimmedReason = reason.trim();
    if (override && trimmedReason.length < OVERRIDE_REASON_MIN_LENGTH) {
      setError(`Give a reason of at least ${OVERRIDE_REASON_MIN_LENGTH} characters for prescribing outside the ladder.`);
      return;
    }
    const input = {
      patientId,
      drug,
      doseMg,
      directions: directions.trim(),
      quantity: Number(quantity),
      refills: Number(refills),
      ...(override ? { overrideReason: trimmedReason } : {}),
    };
    const parsed = createPrescriptionSchema.safeParse(input);
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? "");
      setError(
        field === "directions"
          ? "Write the directions for the patient."
          : field === "quantity"
            ? `Quantity must be a whole number from 1 to ${QUANTITY_MAX}.`
            : field === "refills"
              ? `Refills must be a whole number from 0 to ${REFILLS_MAX}.`
              : "Check the prescription.",
      );
      return;
    }
    setBusy(true);
    try {
      const { prescription } = await api.createPrescription(parsed.data);
      setOverride(null);
      setReason("");
      setCreated(`Draft written: ${drugLabel(prescription.drug)} ${formatMg(prescription.doseMg)}. Sign it below to make it valid.`);
      onCreated(prescription);
    } catch (err) {
      if (err instanceof ApiError && err.code === "TITRATION_RULE") {
        const rule = /^([A-Z_]+):/.exec(err.message)?.[1] ?? "";
        const overridable = rule !== "NOT_ON_LADDER";
        if (overridable) {
          setOverride({ rule, message: err.message.replace(/^[A-Z_]+:\s*/, "").replace(/\s*\(an overrideReason may be given\)$/, "") });
          setError(null);
        } else {
          setError("That dose is not a step of the ladder.");
        }
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const next = ladder?.next;
  return (
    <section className="card rx-writer" aria-labelledby={`${ids.drug}-title`} data-testid="rx-writer">
      <div className="card-header">
        <h3 id={`${ids.drug}-title`}>Write a prescription</h3>
      </div>

      {loadError && <p className="form-error">{loadError}</p>}
      {next && (
        <dl className="facts ladder-facts" data-testid="rx-ladder">
          <div>
            <dt>Current</dt>
            <dd data-testid="rx-current">
              {next.current
                ? `${drugLabel(next.current.drug)} ${formatMg(next.current.doseMg)} · ${next.current.weeksAtDose} week${next.current.weeksAtDose === 1 ? "" : "s"} at this dose`
                : "No GLP-1 prescribed yet"}
            </dd>
          </div>
          <div>
            <dt>Next step</dt>
            <dd data-testid="rx-next-step">
              {next.escalation
                ? next.escalation.due
                  ? `${formatMg(next.escalation.doseMg)} — escalation due now`
                  : `${formatMg(next.escalation.doseMg)} — from ${formatDate(next.escalation.eligibleAt)}`
                : next.current
                  ? "Top of the ladder (maintenance)"
                  : `Start at ${DRUG_NAMES.map((d) => `${d} ${formatMg(DRUGS[d].steps[0] ?? 0)}`).join(" or ")}`}
            </dd>
          </div>
        </dl>
      )}

      <form onSubmit={submit} noValidate>
        <div className="field-grid">
          <div className="field">
            <label htmlFor={ids.drug}>Drug</label>
            <select
              id={ids.drug}
              className="select"
              data-testid="rx-drug"
              value={drug}
              onChange={(e) => {
                const d = e.target.value as DrugName;
                choose(d, DRUGS[d].steps[0] ?? 0);
              }}
            >
              {DRUG_NAMES.map((d) => (
                <option key={d} value={d}>
                  {drugLabel(d)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.dose}>Dose</label>
            <select
              id={ids.dose}
              className="select"
              data-testid="rx-dose"
              value={String(doseMg)}
              onChange={(e) => choose(drug, Number(e.target.value))}
            >
              {DRUGS[drug].steps.map((mg) => {
                const v = verdicts.get(mg);
                const note = v?.ok ? TITRATION_KIND_LABELS[v.kind] : "override";
                return (
                  <option key={mg} value={String(mg)}>
                    {formatMg(mg)} ({note})
                  </option>
                );
              })}
            </select>
          </div>
        </div>
        {verdict && !verdict.ok && !override && (
          <p className="notice small" data-testid="rx-rule-hint">
            {TITRATION_RULE_LABELS[verdict.rule]}. Writing it needs an override reason.
          </p>
        )}
        <div className="field">
          <label htmlFor={ids.directions}>Directions for the patient</label>
          <textarea
            id={ids.directions}
            className="textarea"
            data-testid="rx-directions"
            rows={2}
            maxLength={DIRECTIONS_MAX_LENGTH}
            value={directions}
            onChange={(e) => {
              setDirections(e.target.value);
              setDirectionsEdited(true);
            }}
          />
        </div>
        <div className="field-grid">
          <div className="field">
            <label htmlFor={ids.quantity}>Pens</label>
            <input id={ids.quantity} data-testid="rx-quantity" type="number" min={1} max={QUANTITY_MAX} value={quantity} onChange={(e) => setQuantity(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.refills}>Refills</label>
            <input id={ids.refills} data-testid="rx-refills" type="number" min={0} max={REFILLS_MAX} value={refills} onChange={(e) => setRefills(e.target.value)} />
          </div>
        </div>

        {override && (
          <div className="override" role="group" aria-labelledby={`${ids.reason}-label`}>
            <p className="notice" role="alert" data-testid="rx-rule">
              <strong>{TITRATION_RULE_LABELS[override.rule as keyof typeof TITRATION_RULE_LABELS] ?? "Outside the titration ladder"}.</strong>{" "}
              To prescribe this dose anyway, write why. The reason is kept with the prescription.
            </p>
            <div className="field">
              <label id={`${ids.reason}-label`} htmlFor={ids.reason}>
                Reason for the override (at least {OVERRIDE_REASON_MIN_LENGTH} characters)
              </label>
              <textarea
                id={ids.reason}
                className="textarea"
                data-testid="rx-override-reason"
                rows={2}
                required
                minLength={OVERRIDE_REASON_MIN_LENGTH}
                maxLength={OVERRIDE_REASON_MAX_LENGTH}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </div>
          </div>
        )}

        {error && (
          <p className="form-error" role="alert" data-testid="rx-error">
            {error}
          </p>
        )}
        {created && (
          <p className="form-success" role="status" data-testid="rx-created">
            {created}
          </p>
        )}
        <div className="form-actions">
          {override && (
            <button type="button" className="button-quiet" onClick={() => choose(drug, doseMg)}>
              Cancel override
            </button>
          )}
          <button type="submit" className="button-primary" data-testid="rx-submit" disabled={busy}>
            {busy ? "Saving…" : override ? "Write with override" : "Write draft"}
          </button>
        </div>
      </form>
    </section>
  );
}
