import { formatClock, shortId } from "../staff/useNow.js";
import { formatEndsAt } from "./grants.js";

/**
 * The red band over a record opened by break glass: whose record it is (name and
 * reference, so a wrong patient shows at a glance), and when the access ends.
 */
export function EmergencyBanner({ patientId, name, until, now }: { patientId: string; name?: string; until: number; now: number }) {
  const expired = now >= until;
  return (
    <div className={`emergency-banner${expired ? " is-expired" : ""}`} role="status" data-testid="emergency-banner">
      <strong>Emergency access{expired ? "" : ` — ends at ${formatEndsAt(until)}`}</strong>
      {expired ? (
        <span> has expired. The record is closed.</span>
      ) : (
        <span>
          {" "}
          (
          <span className="countdown" data-testid="emergency-countdown">
            {formatClock(until - now)}
          </span>{" "}
          left) · {name ? <strong data-testid="emergency-patient">{name}</strong> : "Patient"} <span className="small">(ref <span className="mono">{shortId(patientId)}</span>)</span> · every access is audited
        </span>
      )}
    </div>
  );
}
