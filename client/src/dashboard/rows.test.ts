// @vitest-environment node
import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import type { DashboardRow } from "@glp1/shared";
import { DashboardTable, ROW_HEIGHT } from "./DashboardTable.js";
import { formatPct, mergeRows, sparkPoints, visibleRange } from "./rows.js";

function row(i: number, patch: Partial<DashboardRow> = {}): DashboardRow {
  return {
    patientId: i.toString(16).padStart(24, "0"),
    name: `Patient ${i}`,
    latestWeightKg: 100 - (i % 20),
    latestWeightAt: "2026-11-30T08:00:00.000Z",
    baselineWeightKg: 104,
    pctChange: -((i % 20) / 2),
    weeksOnTherapy: i % 70,
    drug: i % 2 ? "semaglutide" : "tirzepatide",
    doseMg: i % 2 ? 1 : 5,
    maintenance: i % 3 === 0,
    escalationDue: i % 5 === 0,
    adherence: { taken: 10, expected: 12, pct: 83 },
    openAlerts: { urgent: i % 7 === 0 ? 1 : 0, high: i % 4 === 0 ? 2 : 0, medium: 0, total: (i % 7 === 0 ? 1 : 0) + (i % 4 === 0 ? 2 : 0) },
    topSeverity: i % 7 === 0 ? "urgent" : i % 4 === 0 ? "high" : null,
    unread: i % 6,
    lastContactAt: "2026-11-29T10:00:00.000Z",
    conversationId: (i + 1_000_000).toString(16).padStart(24, "0"),
    online: i % 9 === 0,
    sparkline: Array.from({ length: 12 }, (_, w) => 104 - w * 0.4 - (i % 3)),
    ...patch,
  };
}

describe("dashboard rows", () => {
  it("replaces updated rows in place and counts the ones not shown", () => {
    const rows = [row(1), row(2), row(3)];
    const { rows: next, changed, missed } = mergeRows(rows, [row(2, { unread: 9 }), row(99)]);
    expect(next.map((r) => r.patientId)).toEqual(rows.map((r) => r.patientId));
    expect(next[1]!.unread).toBe(9);
    expect(changed).toEqual([row(2).patientId]);
    expect(missed).toEqual([row(99).patientId]);
    expect(mergeRows(rows, [row(99)]).rows).toBe(rows);
  });

  it("windows the rows around the scroll position", () => {
    expect(visibleRange(0, 560, 56, 500, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(56 * 100, 560, 56, 500, 5)).toEqual({ start: 95, end: 115 });
    expect(visibleRange(56 * 495, 560, 56, 500, 5)).toEqual({ start: 490, end: 500 });
    expect(visibleRange(0, 560, 56, 0)).toEqual({ start: 0, end: 0 });
  });

  it("draws sparklines inside their box and formats changes", () => {
    const pts = sparkPoints([100, 98, 99, 95], 84, 26).split(" ").map((p) => p.split(",").map(Number));
    expect(pts).toHaveLength(4);
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(84);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(26);
    }
    expect(pts[3]![1]).toBeCloseTo(25); // the lowest weight at the bottom
    expect(formatPct(-6.24)).toBe("−6.2 %");
    expect(formatPct(1)).toBe("+1.0 %");
    expect(formatPct(null)).toBe("—");
  });

  it("renders 500 rows as a window of ~20 (timed against rendering all of them)", () => {
    const rows = Array.from({ length: 500 }, (_, i) => row(i + 1));
    const props = { rows, sort: "openAlerts" as const, order: "desc" as const, onSort: () => undefined, onOpen: () => undefined, flash: new Set<string>(), now: Date.parse("2026-12-01T00:00:00Z"), initialHeight: 14 * ROW_HEIGHT };
    // Warm up (module init, JIT) before timing.
    renderToString(createElement(DashboardTable, props));
    const t0 = performance.now();
    const windowed = renderToString(createElement(DashboardTable, props));
    const t1 = performance.now();
    const full = renderToString(createElement(DashboardTable, { ...props, overscan: 500 }));
    const t2 = performance.now();
    const count = (html: string) => html.split('data-testid="dashboard-row"').length - 1;
    expect(count(windowed)).toBeLessThanOrEqual(26);
    expect(count(full)).toBe(500);
    expect(windowed).toContain('aria-rowcount="501"');
    console.log(`dashboard 500 rows: windowed ${count(windowed)} rows in ${(t1 - t0).toFixed(1)} ms; all 500 rows in ${(t2 - t1).toFixed(1)} ms (renderToString, node)`);
  });
});
