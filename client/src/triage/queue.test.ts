// @vitest-environment node
import { describe, expect, it } from "vitest";
import type { TriageItemView } from "@glp1/shared";
import { applyUpdate, claimLabel, compareItems, leavesList, routeHint, routeLabel, routedNotice, slaLeftMs, withLeaving } from "./queue.js";

const item = (id: string, patch: Partial<TriageItemView> = {}): TriageItemView => ({
  conversationId: id,
  patientRef: "p".repeat(24),
  sender: "patient",
  priority: "normal",
  category: "unanswered",
  status: "open",
  waitingSince: "2026-12-01T10:00:00.000Z",
  slaDueAt: "2026-12-01T11:00:00.000Z",
  slaBreached: false,
  claimedBy: null,
  claimedByName: null,
  routedTo: null,
  careTeam: [],
  ...patch,
});

describe("triage queue", () => {
  it("orders by priority, then longest waiting (the server's order)", () => {
    const list = [item("a"), item("b", { priority: "urgent", waitingSince: "2026-12-01T10:30:00.000Z" }), item("c", { waitingSince: "2026-12-01T09:00:00.000Z" }), item("d", { priority: "low" })];
    expect(list.sort(compareItems).map((i) => i.conversationId)).toEqual(["b", "c", "a", "d"]);
  });

  it("applies pushed changes, removals and the list filter", () => {
    const list = [item("a"), item("b")];
    const next = applyUpdate(list, { items: [item("a", { priority: "high" }), item("c", { priority: "urgent" })], removed: ["b"] }, "open");
    expect(next.map((i) => [i.conversationId, i.priority])).toEqual([
      ["c", "urgent"],
      ["a", "high"],
    ]);
    // Routed items leave the "open" list and join "routed".
    expect(applyUpdate(next, { items: [item("a", { status: "routed" })], removed: [] }, "open").map((i) => i.conversationId)).toEqual(["c"]);
    expect(applyUpdate([], { items: [item("a", { status: "routed" })], removed: [] }, "routed").map((i) => i.conversationId)).toEqual(["a"]);
  });

  it("names who claimed an item: you, a colleague by name, or a colleague when no name came", () => {
    const me = { id: "m".repeat(24) };
    expect(claimLabel(item("a"), me)).toBe("unclaimed");
    expect(claimLabel(item("a", { claimedBy: me.id, claimedByName: "Sam Support" }), me)).toBe("claimed by you");
    expect(claimLabel(item("a", { claimedBy: "o".repeat(24), claimedByName: "Jo Helper" }), me)).toBe("claimed by Jo Helper");
    expect(claimLabel(item("a", { claimedBy: "o".repeat(24) }), me)).toBe("claimed by a colleague");
  });

  it("keeps a card that was just answered or routed away in its place while it leaves", () => {
    const a = item("a", { waitingSince: "2026-12-01T09:00:00.000Z" });
    const b = item("b", { waitingSince: "2026-12-01T09:30:00.000Z" });
    const c = item("c");
    // "b" was answered: the queue no longer has it, the screen still does, where it stood.
    const queue = applyUpdate([a, b, c], { items: [], removed: ["b"] }, "open");
    expect(queue.map((i) => i.conversationId)).toEqual(["a", "c"]);
    expect(withLeaving(queue, [b]).map((i) => i.conversationId)).toEqual(["a", "b", "c"]);
    // Once it has left (or if the queue still has it), nothing is added twice.
    expect(withLeaving(queue, [])).toBe(queue);
    expect(withLeaving([a, b, c], [b]).map((i) => i.conversationId)).toEqual(["a", "b", "c"]);
  });

  it("knows which answers take a card out of the list", () => {
    expect(leavesList(null, "open")).toBe(true);
    expect(leavesList(item("a", { status: "routed" }), "open")).toBe(true);
    expect(leavesList(item("a", { status: "routed" }), "all")).toBe(false);
    expect(leavesList(item("a", { claimedBy: "m".repeat(24) }), "open")).toBe(false);
  });

  it("says that routing also claims an unclaimed item", () => {
    const me = { id: "m".repeat(24) };
    const careTeam = [{ id: "d".repeat(24), name: "Dr. Omar Farouk" }];
    expect(routeLabel(item("a"))).toBe("Route and claim");
    expect(routeHint(item("a"), me)).toMatch(/also claims it for you/);
    expect(routeLabel(item("a", { claimedBy: me.id }))).toBe("Route");
    expect(routeHint(item("a", { claimedBy: me.id }), me)).toMatch(/keeps your claim/);
    expect(routeHint(item("a", { claimedBy: "o".repeat(24), claimedByName: "Jo Helper" }), me)).toMatch(/keeps the claim of Jo Helper/);
    expect(routedNotice(item("a", { status: "routed", routedTo: careTeam[0]!.id, careTeam, claimedBy: me.id }), me)).toBe("Routed to Dr. Omar Farouk and claimed by you. They have been notified.");
  });

  it("counts the SLA down and past due", () => {
    const now = Date.parse("2026-12-01T10:59:00.000Z");
    expect(slaLeftMs(item("a"), now)).toBe(60_000);
    expect(slaLeftMs(item("a"), now + 120_000)).toBe(-60_000);
  });
});

import { formatClock } from "../staff/useNow.js";
describe("formatClock", () => {
  it("shows minutes, hours and days", () => {
    expect(formatClock(59_000)).toBe("0:59");
    expect(formatClock(-(3600 + 62) * 1000)).toBe("1:01:02");
    expect(formatClock((2 * 86_400 + 5 * 3600) * 1000)).toBe("2 d 5 h");
  });
});
