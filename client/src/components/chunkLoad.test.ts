// @vitest-environment node
import { describe, expect, it } from "vitest";
import { createScreenLoader, isChunkLoadError } from "./chunkLoad.js";

/** Stands in for React.lazy: remembers the factory; `run` is what React does on first render. */
function fakeLazy<C>(factory: () => Promise<{ default: C }>) {
  let started: Promise<{ default: C }> | null = null;
  return { run: () => (started ??= factory()) };
}

describe("createScreenLoader (retrying a lazily loaded screen)", () => {
  it("imports again after a failed import, and keeps a loaded screen without importing twice", async () => {
    let calls = 0;
    let online = false;
    const load = async () => {
      calls += 1;
      if (!online) throw new TypeError("Failed to fetch dynamically imported module: http://x/assets/MetricLog-abc.js");
      return "MetricLog";
    };
    const loader = createScreenLoader(load, fakeLazy);

    const first = loader.take();
    await expect(first.run()).rejects.toThrow(/dynamically imported module/);
    // React.lazy would throw the same rejection forever: a retry must get a new loader.
    online = true;
    const second = loader.take();
    expect(second).not.toBe(first);
    await expect(second.run()).resolves.toEqual({ default: "MetricLog" });
    expect(calls).toBe(2);

    // Loaded: opening the screen again reuses it.
    expect(loader.take()).toBe(second);
    expect(calls).toBe(2);
  });

  it("keeps a loader whose import is still under way", () => {
    const loader = createScreenLoader(() => new Promise<string>(() => undefined), fakeLazy);
    const first = loader.take();
    void first.run();
    expect(loader.take()).toBe(first);
  });
});

describe("isChunkLoadError", () => {
  it.each([
    ["Chromium", new TypeError("Failed to fetch dynamically imported module: http://127.0.0.1/assets/MetricLog-ezl7RsU3.js"), true],
    ["Firefox", new TypeError("error loading dynamically imported module: http://127.0.0.1/assets/MetricLog.js"), true],
    ["Safari", new TypeError("Importing a module script failed."), true],
    ["Vite CSS preload", new Error("Unable to preload CSS for /assets/x.css"), true],
    ["a bug in the screen", new TypeError("Cannot read properties of undefined (reading 'map')"), false],
    ["not an error", null, false],
  ])("%s", (_name, error, expected) => {
    expect(isChunkLoadError(error)).toBe(expected);
  });
});
