import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import type { IntakeItem, IntakeSummary, PatientInstruction, PublicUser } from "@glp1/shared";
import { ApiError, api, describeError } from "../api.js";
import { IntakeResult } from "./IntakeResult.js";
import { ELIGIBILITY_LABELS, SECTION_TITLES, reasonLabel } from "./labels.js";
import {
  INTAKE_ITEMS_LIST,
  emptyForm,
  formFromAnswers,
  itemsFromServerFields,
  previewEligibility,
  validateIntake,
  type FieldValue,
  type IntakeFormState,
} from "./intakeForm.js";

interface Props {
  user: PublicUser;
  onInstructions: (instructions: PatientInstruction[] | undefined) => void;
}

const SECTIONS = [...new Set(INTAKE_ITEMS_LIST.map((i) => i.section))];
const todayIso = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

/** The eligibility intake, generated from the shared questionnaire. */
export function IntakeForm({ user, onInstructions }: Props) {
  const [form, setForm] = useState<IntakeFormState>(emptyForm);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [serverFields, setServerFields] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [latest, setLatest] = useState<IntakeSummary | null>(null);
  const [justSaved, setJustSaved] = useState(false);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let live = true;
    api
      .intake(user.id)
      .then(({ intake }) => {
        if (!live || !intake) return;
        setLatest(intake);
        // Start a new version from the last one, unless the patient has already begun.
        setForm((cur) => (JSON.stringify(cur) === JSON.stringify(emptyForm()) ? formFromAnswers(intake.answers as unknown as Record<string, unknown>) : cur));
      })
      .catch(() => undefined)
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [user.id]);

  const { errors, answers } = useMemo(() => validateIntake(form), [form]);
  const preview = useMemo(() => previewEligibility(form), [form]);

  const set = (id: string, value: FieldValue) => {
    setForm((f) => ({ ...f, [id]: value }));
    setServerFields((s) => s.filter((x) => x !== id));
    setJustSaved(false);
  };
  const touch = (id: string) => setTouched((t) => (t[id] ? t : { ...t, [id]: true }));

  const shownError = (id: string): string | null => {
    if (serverFields.includes(id)) return errors[id] ?? "This answer was not accepted. Check it and try again.";
    return (touched[id] || submitted) && errors[id] ? errors[id] : null;
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setSubmitted(true);
    setError(null);
    if (!answers) {
      setError("Some answers need attention (marked below).");
      const first = INTAKE_ITEMS_LIST.find((i) => errors[i.id]);
      if (first) document.getElementById(`intake-q-${first.id}`)?.scrollIntoView({ block: "center" });
      return;
    }
    setBusy(true);
    try {
      const result = await api.submitIntake(answers);
      onInstructions(result.instructions);
      setLatest(result.intake);
      setJustSaved(true);
      setSubmitted(false);
      setTouched({});
      requestAnimationFrame(() => document.querySelector('[data-testid="intake-result"]')?.scrollIntoView({ block: "start", behavior: "smooth" }));
    } catch (err) {
      if (err instanceof ApiError && err.fields?.length) setServerFields(itemsFromServerFields(err.fields));
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="clinical-page">
      <div className="page-heading">
        <h1>Eligibility intake</h1>
        <p className="muted">
          Tell us about your health so your physician can decide whether a GLP-1 medicine is right for you.
        </p>
      </div>

      {latest && (
        <IntakeResult
          intake={latest}
          title={justSaved ? `Submitted — thank you` : "Your latest intake"}
          testId="intake-result"
          audience="patient"
        />
      )}
      {loading ? (
        <p className="muted small">Loading your previous answers…</p>
      ) : (
        <form className="intake-form" onSubmit={onSubmit} noValidate aria-describedby="intake-required-note">
          <p id="intake-required-note" className="small muted">
            Questions marked <span aria-hidden="true">*</span>
            <span className="visually-hidden">required</span> need an answer.
            {latest ? " Sending again stores a new version." : ""}
          </p>
          {SECTIONS.map((section) => (
            <fieldset key={section} className="card form-section">
              <legend>{SECTION_TITLES[section] ?? section}</legend>
              {INTAKE_ITEMS_LIST.filter((i) => i.section === section).map((item) => (
                <Question
                  key={item.id}
                  item={item}
                  value={form[item.id] ?? null}
                  error={shownError(item.id)}
                  onChange={(v) => set(item.id, v)}
                  onBlur={() => touch(item.id)}
                />
              ))}
            </fieldset>
          ))}

          <section className="card preview" aria-live="polite" data-testid="intake-preview">
            <h3>Preview</h3>
            {preview ? (
              <>
                <p>
                  BMI <strong data-testid="intake-preview-bmi">{preview.bmi.toFixed(1)}</strong> kg/m² ·{" "}
                  <span className={`status-pill status-${preview.status}`}>{ELIGIBILITY_LABELS[preview.status]}</span>
                </p>
                {preview.reasons.length > 0 && (
                  <ul className="reason-list">
                    {preview.reasons.map((r) => (
                      <li key={r}>{reasonLabel(r)}</li>
                    ))}
                  </ul>
                )}
              </>
            ) : (
              <p className="muted">Enter your height and weight to see a preview.</p>
            )}
            <p className="small muted">
              A preview only, from the answers so far. Your physician reviews every intake and makes the decision.
            </p>
          </section>

          {error && (
            <p className="form-error" role="alert" data-testid="intake-error">
              {error}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button-primary" data-testid="intake-submit" disabled={busy}>
              {busy ? "Sending…" : latest ? "Send updated answers" : "Send my answers"}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

interface QuestionProps {
  item: IntakeItem;
  value: FieldValue;
  error: string | null;
  onChange: (v: FieldValue) => void;
  onBlur: () => void;
}

function Question({ item, value, error, onChange, onBlur }: QuestionProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const helpId = `${id}-help`;
  const describedBy = [item.help ? helpId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  const label = (
    <>
      {item.label}
      {item.required && (
        <span className="required" aria-hidden="true">
          {" "}
          *
        </span>
      )}
    </>
  );
  const help = item.help ? (
    <p id={helpId} className="field-hint">
      {item.help}
    </p>
  ) : null;
  const errorLine = error ? (
    <p id={errorId} className="field-error" data-testid={`intake-error-${item.id}`}>
      {error}
    </p>
  ) : null;
  const common = { "aria-invalid": error ? true : undefined, "aria-describedby": describedBy } as const;

  if (item.type === "number" || item.type === "date" || item.type === "text") {
    const text = typeof value === "string" ? value : "";
    return (
      <div className="field" id={`intake-q-${item.id}`}>
        <label htmlFor={id}>{label}</label>
        {help}
        {item.type === "text" ? (
          <textarea
            id={id}
            className="textarea"
            data-testid={`intake-${item.id}`}
            value={text}
            maxLength={item.maxLength}
            rows={3}
            onChange={(e) => onChange(e.target.value)}
            onBlur={onBlur}
            {...common}
          />
        ) : (
          <div className={item.unit ? "input-with-unit" : undefined}>
            <input
              id={id}
              data-testid={`intake-${item.id}`}
              type={item.type === "date" ? "date" : "text"}
              inputMode={item.type === "number" ? "decimal" : undefined}
              autoComplete={item.id === "dateOfBirth" ? "bday" : "off"}
              min={item.type === "date" && typeof item.min === "string" ? item.min : undefined}
              max={item.type === "date" ? (item.max === "today" ? todayIso() : String(item.max ?? "")) || undefined : undefined}
              value={text}
              onChange={(e) => onChange(e.target.value)}
              onBlur={onBlur}
              required={item.required}
              {...common}
            />
            {item.unit && <span className="unit">{item.unit}</span>}
          </div>
        )}
        {errorLine}
      </div>
    );
  }

  if (item.type === "boolean" || item.type === "single") {
    const options =
      item.type === "boolean"
        ? [
            { code: "yes", label: "Yes" },
            { code: "no", label: "No" },
          ]
        : (item.options ?? []);
    const current = item.type === "boolean" ? (value === true ? "yes" : value === false ? "no" : "") : value;
    return (
      <fieldset className="field choice-group" id={`intake-q-${item.id}`} aria-describedby={describedBy} aria-invalid={error ? true : undefined}>
        <legend>{label}</legend>
        {help}
        <div className={item.type === "boolean" ? "choices choices-inline" : "choices"}>
          {options.map((o) => (
            <label key={o.code} className="choice">
              <input
                type="radio"
                name={id}
                data-testid={`intake-${item.id}-${o.code}`}
                checked={current === o.code}
                onChange={() => onChange(item.type === "boolean" ? o.code === "yes" : o.code)}
                onBlur={onBlur}
              />
              <span>{o.label}</span>
            </label>
          ))}
          {item.type === "single" && !item.required && current !== "" && (
            <button type="button" className="button-link small" onClick={() => onChange("")}>
              Clear answer
            </button>
          )}
        </div>
        {errorLine}
      </fieldset>
    );
  }

  // multi: any number of choices, or an explicit "None of these".
  const chosen = Array.isArray(value) ? value : null;
  const toggle = (code: string, on: boolean) => {
    const base = chosen ?? [];
    onChange(on ? [...base.filter((c) => c !== code), code] : base.filter((c) => c !== code));
  };
  return (
    <fieldset className="field choice-group" id={`intake-q-${item.id}`} aria-describedby={describedBy} aria-invalid={error ? true : undefined}>
      <legend>{label}</legend>
      {help}
      <div className="choices">
        {(item.options ?? []).map((o) => (
          <label key={o.code} className="choice">
            <input
              type="checkbox"
              data-testid={`intake-${item.id}-${o.code}`}
              checked={chosen?.includes(o.code) ?? false}
              onChange={(e) => toggle(o.code, e.target.checked)}
              onBlur={onBlur}
            />
            <span>{o.label}</span>
          </label>
        ))}
        <label className="choice choice-none">
          <input
            type="checkbox"
            data-testid={`intake-${item.id}-none`}
            checked={chosen !== null && chosen.length === 0}
            onChange={(e) => onChange(e.target.checked ? [] : null)}
            onBlur={onBlur}
          />
          <span>None of these</span>
        </label>
      </div>
      {errorLine}
    </fieldset>
  );
}
