import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import {
  DRUGS,
  DRUG_NAMES,
  GI_SYMPTOMS,
  INJECTION_SITES,
  SYMPTOM_CODES,
  type DrugName,
  type PatientInstruction,
  type PublicUser,
  type Reading,
} from "@glp1/shared";
import { ApiError, api, describeError } from "../api.js";
import { newClientId } from "../chat/merge.js";
import type { ChatStore } from "../chat/store.js";
import {
  GI_LABELS,
  METRIC_LABELS,
  PHQ9_ITEM9_OPTIONS,
  SITE_LABELS,
  SYMPTOM_LABELS,
  drugLabel,
  formatDateTime,
  formatMg,
  formatReading,
  toLocalInput,
} from "./labels.js";
import {
  LOGGABLE_KINDS,
  UNIT_CHOICES,
  checkReading,
  initialMetricForm,
  prescribedDose,
  serverFieldErrors,
  type DoseChoice,
  type MetricFormState,
} from "./metricForm.js";
import { ReadingHistory } from "./ReadingHistory.js";
import { useReadings } from "./useReadings.js";

interface Props {
  user: PublicUser;
  store: ChatStore;
  onInstructions: (instructions: PatientInstruction[] | undefined) => void;
}

/** A report sent but not confirmed: a retry of the same reading reuses its requestId (the server deduplicates). */
interface Unconfirmed {
  requestId: string;
  signature: string;
}

export function MetricLog({ user, store, onInstructions }: Props) {
  const [form, setForm] = useState<MetricFormState>(() => initialMetricForm(toLocalInput(new Date())));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<Reading | null>(null);
  const [busy, setBusy] = useState(false);
  const [unconfirmed, setUnconfirmed] = useState<Unconfirmed | null>(null);
  const history = useReadings(store, user.id, form.kind);
  const ids = { kind: useId(), value: useId(), unit: useId(), when: useId() };
  const prescribed = usePrescribedDose(user.id);
  /** The patient chose a drug or dose themself: a prescription arriving later does not overwrite it. */
  const doseChosen = useRef(false);

  useEffect(() => {
    if (prescribed && !doseChosen.current) setForm((f) => ({ ...f, drug: prescribed.drug, mg: prescribed.mg }));
  }, [prescribed]);

  const patch = (p: Partial<MetricFormState>) => {
    setForm((f) => ({ ...f, ...p }));
    setSaved(null);
    // An edited reading is a new reading: earlier messages no longer apply.
    setErrors((e) => (Object.keys(e).length === 0 ? e : {}));
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setFormError(null);
    setSaved(null);
    const check = checkReading(form);
    if (!check.ok) {
      setErrors(check.errors);
      return;
    }
    setErrors({});
    const reading = check.reading;
    const signature = JSON.stringify(reading);
    const requestId = unconfirmed?.signature === signature ? unconfirmed.requestId : newClientId();
    setUnconfirmed({ requestId, signature });
    setBusy(true);
    try {
      let result: { readings: Reading[]; instructions?: PatientInstruction[] };
      const viaSocket = await store.request("metrics:report", { readings: [reading], requestId });
      if (viaSocket.kind === "ok") {
        result = viaSocket.data;
      } else if (viaSocket.kind === "error") {
        const err = viaSocket.error;
        if (err.code === "VALIDATION_FAILED") {
          setErrors(serverFieldErrors(form.kind, err.fields, err.message));
          setUnconfirmed(null);
          return;
        }
        throw new ApiError(400, err.code, err.message, err.fields);
      } else {
        // Not connected, or no answer in time: the same requestId over HTTP cannot store it twice.
        result = await api.reportMetrics({ readings: [reading], requestId });
      }
      setUnconfirmed(null);
      onInstructions(result.instructions);
      const first = result.readings[0] ?? null;
      setSaved(first);
      history.add(result.readings);
      setForm((f) => ({
        ...initialMetricForm(toLocalInput(new Date())),
        kind: f.kind,
        unit: f.unit,
        drug: f.drug,
        mg: f.mg,
        site: f.site,
      }));
    } catch (err) {
      if (err instanceof ApiError && err.code === "VALIDATION_FAILED") {
        setErrors(serverFieldErrors(form.kind, err.fields, err.message));
        setUnconfirmed(null);
      } else {
        setFormError(`${describeError(err)} Your reading was kept; send it again when ready.`);
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: string) =>
    errors[field] ? (
      <p className="field-error" data-testid={`metric-error-${field.replace(/\./g, "-")}`}>
        {errors[field]}
      </p>
    ) : null;
  const invalid = (field: string) => (errors[field] ? true : undefined);
  const kind = form.kind;
  const units = UNIT_CHOICES[kind];
  const nowMax = toLocalInput(new Date());

  return (
    <div className="clinical-page">
      <div className="page-heading">
        <h1>Log a reading</h1>
        <p className="muted">Your care team sees what you log. For an emergency call 911.</p>
      </div>

      <form className="card metric-form" onSubmit={onSubmit} noValidate>
        <div className="field">
          <label htmlFor={ids.kind}>What are you logging?</label>
          <select
            id={ids.kind}
            className="select"
            data-testid="metric-kind"
            value={kind}
            onChange={(e) => {
              setErrors({});
              patch({ kind: e.target.value as MetricFormState["kind"], value: "" });
            }}
          >
            {LOGGABLE_KINDS.map((k) => (
              <option key={k} value={k}>
                {METRIC_LABELS[k]}
              </option>
            ))}
          </select>
        </div>

        {(kind === "weight" || kind === "waist" || kind === "glucose" || kind === "heart_rate" || kind === "hba1c") && (
          <div className="field">
            <label htmlFor={ids.value}>{METRIC_LABELS[kind]}</label>
            <div className="input-row">
              <input
                id={ids.value}
                data-testid="metric-value"
                inputMode="decimal"
                autoComplete="off"
                value={form.value}
                onChange={(e) => patch({ value: e.target.value })}
                aria-invalid={invalid("value")}
              />
              {units ? (
                <select
                  className="select select-unit"
                  aria-label="Unit"
                  data-testid="metric-unit"
                  value={form.unit[kind]}
                  onChange={(e) => patch({ unit: { ...form.unit, [kind]: e.target.value } })}
                >
                  {units.map((u) => (
                    <option key={u} value={u}>
                      {u}
                    </option>
                  ))}
                </select>
              ) : (
                <span className="unit">{kind === "heart_rate" ? "beats/min" : "%"}</span>
              )}
            </div>
            {fieldError("value")}
          </div>
        )}

        {kind === "bp" && (
          <div className="field-pair">
            <NumberField label="Upper number (systolic)" unit="mmHg" testId="metric-systolic" value={form.systolic} onChange={(v) => patch({ systolic: v })} error={errors["value.systolic"]} errorTestId="metric-error-value-systolic" />
            <NumberField label="Lower number (diastolic)" unit="mmHg" testId="metric-diastolic" value={form.diastolic} onChange={(v) => patch({ diastolic: v })} error={errors["value.diastolic"]} errorTestId="metric-error-value-diastolic" />
          </div>
        )}

        {kind === "gi" && (
          <fieldset className="field slider-group">
            <legend>How bad is each, from 0 (none) to 10 (worst)?</legend>
            {GI_SYMPTOMS.map((s) => (
              <label key={s} className="slider">
                <span className="slider-label">{GI_LABELS[s]}</span>
                <input
                  type="range"
                  min={0}
                  max={10}
                  step={1}
                  data-testid={`metric-gi-${s}`}
                  value={form.gi[s] ?? 0}
                  onChange={(e) => patch({ gi: { ...form.gi, [s]: Number(e.target.value) } })}
                />
                <output className="slider-value">{form.gi[s] ?? 0}</output>
              </label>
            ))}
          </fieldset>
        )}

        {kind === "dose" && (
          <div className="field-grid">
            <label className="field">
              <span className="field-label">Medicine</span>
              <select
                className="select"
                data-testid="metric-dose-drug"
                value={form.drug}
                onChange={(e) => {
                  const drug = e.target.value as DrugName;
                  doseChosen.current = true;
                  // Back to the prescribed drug: its prescribed dose; another drug starts at its first step.
                  patch({ drug, mg: prescribed?.drug === drug ? prescribed.mg : String(DRUGS[drug].steps[0]) });
                }}
              >
                {DRUG_NAMES.map((d) => (
                  <option key={d} value={d}>
                    {drugLabel(d)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Dose</span>
              <select
                className="select"
                data-testid="metric-dose-mg"
                value={form.mg}
                onChange={(e) => {
                  doseChosen.current = true;
                  patch({ mg: e.target.value });
                }}
              >
                {DRUGS[form.drug].steps.map((mg) => (
                  <option key={mg} value={String(mg)}>
                    {formatMg(mg)}
                  </option>
                ))}
              </select>
              {fieldError("value.mg")}
            </label>
            <label className="field">
              <span className="field-label">Injection site</span>
              <select className="select" data-testid="metric-dose-site" value={form.site} onChange={(e) => patch({ site: e.target.value })}>
                {INJECTION_SITES.map((s) => (
                  <option key={s} value={s}>
                    {SITE_LABELS[s]}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}

        {kind === "phq9" && (
          <>
            <NumberField
              label="PHQ-9 total score (0–27)"
              testId="metric-phq9-score"
              value={form.phq9Score}
              onChange={(v) => patch({ phq9Score: v })}
              error={errors["value.score"] ?? errors.value}
              errorTestId="metric-error-value-score"
            />
            <fieldset className="field choice-group">
              <legend>Question 9: over the last 2 weeks, how often have you had thoughts that you would be better off dead, or of hurting yourself?</legend>
              <div className="choices">
                {PHQ9_ITEM9_OPTIONS.map((o) => (
                  <label key={o.value} className="choice">
                    <input
                      type="radio"
                      name="phq9-item9"
                      data-testid={`metric-phq9-item9-${o.value}`}
                      checked={form.phq9Item9 === String(o.value)}
                      onChange={() => patch({ phq9Item9: String(o.value) })}
                    />
                    <span>{o.label}</span>
                  </label>
                ))}
              </div>
              {fieldError("value.item9")}
            </fieldset>
          </>
        )}

        {kind === "symptom" && (
          <fieldset className="field choice-group">
            <legend>Do you have any of these now?</legend>
            <div className="choices">
              {SYMPTOM_CODES.map((c) => (
                <label key={c} className="choice">
                  <input
                    type="checkbox"
                    data-testid={`metric-symptom-${c}`}
                    checked={form.symptoms.includes(c)}
                    onChange={(e) => patch({ symptoms: e.target.checked ? [...form.symptoms, c] : form.symptoms.filter((x) => x !== c) })}
                  />
                  <span>{SYMPTOM_LABELS[c]}</span>
                </label>
              ))}
            </div>
            {fieldError("value.codes")}
          </fieldset>
        )}

        <div className="field">
          <label htmlFor={ids.when}>{kind === "dose" ? "When did you take it?" : "When was it measured?"}</label>
          <input
            id={ids.when}
            type="datetime-local"
            data-testid="metric-observed-at"
            value={form.observedAt}
            max={nowMax}
            onChange={(e) => patch({ observedAt: e.target.value })}
            aria-invalid={invalid("observedAt")}
          />
          {fieldError("observedAt")}
        </div>

        {errors.form && <p className="form-error">{errors.form}</p>}
        {formError && (
          <p className="form-error" role="alert" data-testid="metric-error">
            {formError}
          </p>
        )}
        {saved && (
          <p className="form-success" role="status" data-testid="metric-saved">
            Saved: {METRIC_LABELS[saved.kind]} {formatReading(saved)}, {formatDateTime(saved.observedAt)}.
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button-primary" data-testid="metric-submit" disabled={busy}>
            {busy ? "Saving…" : unconfirmed ? "Send again" : "Save reading"}
          </button>
        </div>
      </form>

      <ReadingHistory kind={kind} readings={history.readings} loading={history.loading} error={history.error} />
    </div>
  );
}

function NumberField(props: {
  label: string;
  unit?: string;
  testId: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  errorTestId: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <div className="input-row">
        <input
          id={id}
          data-testid={props.testId}
          inputMode="numeric"
          autoComplete="off"
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          aria-invalid={props.error ? true : undefined}
        />
        {props.unit && <span className="unit">{props.unit}</span>}
      </div>
      {props.error && (
        <p className="field-error" data-testid={props.errorTestId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/**
 * The current prescription's drug and dose, or null (none, not loaded yet, or not
 * loadable: the form then keeps its own default, as logging must not wait on this).
 */
function usePrescribedDose(patientId: string): DoseChoice | null {
  const [dose, setDose] = useState<DoseChoice | null>(null);
  useEffect(() => {
    let active = true;
    api
      .prescriptions(patientId)
      .then(({ prescriptions }) => active && setDose(prescribedDose(prescriptions)))
      .catch(() => undefined);
    return () => {
      active = false;
    };
  }, [patientId]);
  return dose;
}
