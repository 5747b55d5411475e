import type { PatientInstruction } from "@glp1/shared";

interface Props {
  instructions: readonly PatientInstruction[];
  onDismiss: () => void;
}

/** What to do now after a crisis red flag (988, 911). Shown above everything, announced at once. */
export function CrisisBanner({ instructions, onDismiss }: Props) {
  if (instructions.length === 0) return null;
  const mentions988 = instructions.some((i) => i.instructions.includes("988"));
  return (
    <section className="crisis" role="alert" aria-labelledby="crisis-title" data-testid="crisis-instructions">
      <h2 id="crisis-title">Please act now</h2>
      <ul className="crisis-list">
        {instructions.map((i) => (
          <li key={i.kind}>{i.instructions}</li>
        ))}
      </ul>
      <div className="crisis-actions">
        {mentions988 && (
          <a className="crisis-call" href="tel:988">
            Call or text 988
          </a>
        )}
        <a className="crisis-call" href="tel:911">
          Call 911
        </a>
        <button type="button" className="button-secondary" data-testid="crisis-dismiss" onClick={onDismiss}>
          I have read this
        </button>
      </div>
      <p className="crisis-note">Your care team has been alerted. Do not wait for a reply in chat.</p>
    </section>
  );
}

/** Adds new instructions to those shown, one per kind. */
export function mergeInstructions(shown: PatientInstruction[], incoming: readonly PatientInstruction[] | undefined): PatientInstruction[] {
  if (!incoming || incoming.length === 0) return shown;
  const byKind = new Map(shown.map((i) => [i.kind, i]));
  for (const i of incoming) byKind.set(i.kind, i);
  return [...byKind.values()];
}
