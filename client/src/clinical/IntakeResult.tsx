import type { IntakeSummary } from "@glp1/shared";
import { ELIGIBILITY_LABELS, formatDateTime, reasonLabel } from "./labels.js";

interface Props {
  intake: Pick<IntakeSummary, "version" | "bmi" | "eligibility" | "createdAt">;
  title: string;
  testId?: string;
  /** The patient sees a reminder that a physician decides. */
  audience: "patient" | "physician";
}

/** A stored intake's result: BMI, status and reasons in plain language. */
export function IntakeResult({ intake, title, testId, audience }: Props) {
  const { status, reasons } = intake.eligibility;
  return (
    <section className="card intake-result" data-testid={testId} aria-label={title}>
      <div className="card-header">
        <h3>{title}</h3>
        <span className="muted small">
          Version {intake.version} · {formatDateTime(intake.createdAt)}
        </span>
      </div>
      <dl className="facts">
        <div>
          <dt>BMI</dt>
          <dd data-testid="intake-bmi">{intake.bmi.toFixed(1)} kg/m²</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <span className={`status-pill status-${status}`} data-testid="intake-status">
              {ELIGIBILITY_LABELS[status]}
            </span>
          </dd>
        </div>
      </dl>
      {reasons.length > 0 ? (
        <>
          <p className="small strong">{audience === "patient" ? "Things your physician will look at:" : "Reasons:"}</p>
          <ul className="reason-list">
            {reasons.map((r) => (
              <li key={r}>{reasonLabel(r)}</li>
            ))}
          </ul>
        </>
      ) : (
        <p className="small muted">No flags were raised.</p>
      )}
      {audience === "patient" && (
        <p className="small muted">Your physician reviews every intake and makes the decision about treatment.</p>
      )}
    </section>
  );
}
