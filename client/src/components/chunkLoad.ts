/**
 * Screens loaded on first use (code-split chunks) and what to do when a chunk does not
 * arrive. `React.lazy` keeps the promise its factory returned: once that promise has
 * rejected (the browser was offline when the tab was first opened) every later render
 * throws the same error, so a retry needs a new lazy component, which imports again.
 */

/**
 * Each browser's wording for a module script that could not be fetched (Chromium,
 * Firefox, Safari, a module answered with the wrong type) and Vite's preload helper's.
 */
const CHUNK_LOAD_MESSAGES = [
  /Failed to fetch dynamically imported module/i,
  /error loading dynamically imported module/i,
  /Importing a module script failed/i,
  /Failed to load module script/i,
  /Unable to preload CSS/i,
];

/** A code-split chunk failed to download (a network problem, worth retrying), as opposed to a bug in the screen. */
export function isChunkLoadError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  return CHUNK_LOAD_MESSAGES.some((re) => re.test(message));
}

export interface ScreenLoader<L> {
  /**
   * The loader to render: the same one while it is loading or has loaded (no second
   * download, no flash of "Loading…" when a screen is opened again), a new one that
   * imports again once the last one failed.
   */
  take(): L;
}

/**
 * Keeps one loader (`wrap` is `React.lazy`) for a screen and replaces it after a failed
 * import: `take()` after a failure starts a fresh import, as a Retry button needs.
 */
export function createScreenLoader<C, L>(load: () => Promise<C>, wrap: (factory: () => Promise<{ default: C }>) => L): ScreenLoader<L> {
  const make = () => {
    const entry = { failed: false, loader: null as L | null };
    entry.loader = wrap(() =>
      load().then(
        (component) => ({ default: component }),
        (error: unknown) => {
          entry.failed = true;
          throw error;
        },
      ),
    );
    return entry as { failed: boolean; loader: L };
  };
  let current = make();
  return {
    take() {
      if (current.failed) current = make();
      return current.loader;
    },
  };
}
