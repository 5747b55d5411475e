import { Component, Suspense, lazy, useState, type ComponentType, type ReactNode } from "react";
import { createScreenLoader, isChunkLoadError } from "./chunkLoad.js";

interface BoundaryProps {
  children: ReactNode;
  onRetry: () => void;
  /** Show nothing on failure (a background widget); it still retries when the browser is back online. */
  quiet?: boolean;
}

interface BoundaryState {
  failed: boolean;
  error: unknown;
}

/**
 * Catches a screen that could not load (or broke while rendering) so that only that screen
 * shows a message, never a blank page: the header, the section tabs and the chat stay usable.
 * A chunk that did not arrive is fetched again by itself when the browser comes back online.
 */
export class ScreenBoundary extends Component<BoundaryProps, BoundaryState> {
  override state: BoundaryState = { failed: false, error: null };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { failed: true, error };
  }

  override componentDidMount(): void {
    window.addEventListener("online", this.onOnline);
  }

  override componentWillUnmount(): void {
    window.removeEventListener("online", this.onOnline);
  }

  private readonly onOnline = () => {
    if (this.state.failed && isChunkLoadError(this.state.error)) this.props.onRetry();
  };

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    if (this.props.quiet) return null;
    const network = isChunkLoadError(this.state.error);
    return (
      <div className="screen-error card" role="alert" data-testid="screen-error">
        <p className="screen-error-title">{network ? "This screen could not load — check your connection." : "This screen stopped working."}</p>
        <p className="muted small">
          {network ? "It will load by itself when you are back online, or try again now." : "Try again; if it keeps happening, reload the page."}
        </p>
        <button type="button" className="button-secondary" data-testid="screen-retry" onClick={this.props.onRetry}>
          Retry
        </button>
      </div>
    );
  }
}

/**
 * A screen loaded on first use (like `React.lazy`), inside its own Suspense and error
 * boundary, that can be loaded again after its chunk failed to download.
 */
export function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>, options: { fallback: ReactNode; quiet?: boolean; name?: string }): ComponentType<P> {
  const loader = createScreenLoader(load, lazy);

  function LazyScreen(props: P) {
    // A new attempt remounts the boundary (clearing its error) and renders a fresh lazy component.
    const [state, setState] = useState(() => ({ attempt: 0, Screen: loader.take() }));
    const retry = () => {
      const Screen = loader.take();
      setState((s) => ({ attempt: s.attempt + 1, Screen }));
    };
    const { Screen } = state;
    return (
      <ScreenBoundary key={state.attempt} onRetry={retry} quiet={options.quiet}>
        <Suspense fallback={options.fallback}>
          <Screen {...props} />
        </Suspense>
      </ScreenBoundary>
    );
  }
  LazyScreen.displayName = `LazyScreen(${options.name ?? "screen"})`;
  return LazyScreen;
}
