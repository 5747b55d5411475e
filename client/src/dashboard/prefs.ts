/**
 * The physician's layout choices, kept in localStorage: display preferences only, never
 * anything about a patient (filters, which may hold a name, stay in memory).
 */
const COHORT_OPEN_KEY = "glp1.dashboard.cohortOpen";

type Store = Pick<Storage, "getItem" | "setItem">;

/** localStorage when the browser allows it (private modes and tests may not). */
export function browserStorage(): Store | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null;
  }
}

/** Is the cohort chart open? Closed unless the physician opened it last time: the panel table gets the room. */
export function readCohortOpen(storage: Store | null): boolean {
  try {
    return storage?.getItem(COHORT_OPEN_KEY) === "open";
  } catch {
    return false;
  }
}

/** Remember the physician's choice (a failure to store is harmless: the default comes back). */
export function writeCohortOpen(storage: Store | null, open: boolean): void {
  try {
    storage?.setItem(COHORT_OPEN_KEY, open ? "open" : "closed");
  } catch {
    // storage full or refused
  }
}
