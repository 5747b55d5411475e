import type { ClinicHours } from "../../config/config.js";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** One formatter per time zone: building one costs far more than using it (every audit entry asks). */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function local(at: Date, timeZone: string) {
  const parts = formatterFor(timeZone).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return { day: WEEKDAYS.indexOf(get("weekday")), minute: Number(get("hour")) * 60 + Number(get("minute")), date: `${get("year")}-${get("month")}-${get("day")}` };
}

/** Is the clinic open at `at` (its own time zone and weekdays)? */
export function clinicOpen(hours: ClinicHours, at: Date): boolean {
  const l = local(at, hours.timeZone);
  return hours.days.includes(l.day) && l.minute >= hours.openMinute && l.minute < hours.closeMinute;
}

/**
 * A name for the closed period `at` falls in, so the after-hours reply goes once per
 * conversation per night: the local date of `at` shifted back by the opening time, so
 * the evening and the early morning before opening share one key.
 */
export function nightKey(hours: ClinicHours, at: Date): string {
  return local(new Date(at.getTime() - hours.openMinute * 60_000), hours.timeZone).date;
}
