// @vitest-environment node
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { ChatStore } from "../chat/store.js";
import { DashboardTable, SortLabel } from "./DashboardTable.js";
import { DashboardView } from "./DashboardView.js";
import { readCohortOpen, writeCohortOpen } from "./prefs.js";

/** A Storage stand-in (a Map), or one that refuses every call (private mode, quota). */
function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}
const refusing = {
  getItem: (): string | null => {
    throw new Error("denied");
  },
  setItem: () => {
    throw new Error("denied");
  },
};

/** The header cells of a rendered table, as HTML strings. */
const headers = (html: string) => html.match(/<div role="columnheader"[\s\S]*?<\/div>/g) ?? [];

describe("dashboard layout", () => {
  it("the cohort chart is collapsed unless the physician opened it, and the choice is remembered", () => {
    const storage = memoryStorage();
    expect(readCohortOpen(storage)).toBe(false);
    expect(readCohortOpen(null)).toBe(false);
    writeCohortOpen(storage, true);
    expect(readCohortOpen(storage)).toBe(true);
    writeCohortOpen(storage, false);
    expect(readCohortOpen(storage)).toBe(false);
    // Storage that refuses: closed, and no throw.
    expect(readCohortOpen(refusing)).toBe(false);
    expect(() => writeCohortOpen(refusing, true)).not.toThrow();
  });

  it("renders the dashboard with the cohort chart closed (the panel table gets the room)", () => {
    const html = renderToString(
      createElement(DashboardView, { store: {} as ChatStore, onOpen: () => undefined, onBreakGlass: () => undefined, grants: [], onOpenGrant: () => undefined, unreadMessages: 0 }),
    );
    const details = /<details[^>]*data-testid="cohort-card"[^>]*>/.exec(html)?.[0];
    expect(details).toBeDefined();
    expect(details).not.toMatch(/\sopen(=|\s|>)/);
    expect(html).toContain("Show chart");
  });

  it("puts the sort arrow inside the sorted column's header, glued to its last word, with aria-sort there only", () => {
    for (const [sort, order, label, arrow] of [
      ["openAlerts", "desc", "alerts", "▼"],
      ["unread", "asc", "Unread", "▲"],
      ["name", "asc", "Patient", "▲"],
    ] as const) {
      const html = renderToString(createElement(DashboardTable, { rows: [], sort, order, onSort: () => undefined, onOpen: () => undefined, flash: new Set<string>(), now: 0 }));
      const cells = headers(html);
      const sorted = cells.filter((c) => c.includes("aria-sort"));
      expect(sorted).toHaveLength(1);
      expect(sorted[0]).toContain(`aria-sort="${order === "asc" ? "ascending" : "descending"}"`);
      // The arrow is in that header, in one unbreakable run with the label's last word.
      expect(sorted[0]).toMatch(new RegExp(`<span class="sort-tail">${label}<span class="sort-arrow"[^>]*>${arrow}</span></span>`));
      expect(cells.filter((c) => c.includes("sort-arrow"))).toHaveLength(1);
    }
  });

  it("a sort label keeps its words and adds no arrow when the column is not sorted", () => {
    expect(renderToString(createElement(SortLabel, { label: "Open alerts", arrow: null }))).toBe('Open <span class="sort-tail">alerts</span>');
    expect(renderToString(createElement(SortLabel, { label: "Weeks", arrow: "▼" }))).toContain('<span class="sort-tail">Weeks<span class="sort-arrow"');
  });
});
