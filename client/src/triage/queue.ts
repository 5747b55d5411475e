import { TRIAGE_PRIORITY_RANK, type TriageItemView, type TriageUpdate } from "@glp1/shared";

/** The server's order: most urgent first, then longest waiting. */
export function compareItems(a: TriageItemView, b: TriageItemView): number {
  return TRIAGE_PRIORITY_RANK[a.priority] - TRIAGE_PRIORITY_RANK[b.priority] || Date.parse(a.waitingSince) - Date.parse(b.waitingSince);
}

/** Which items a list filter shows (the server's `status` query, applied to pushed items too). */
export function matchesFilter(item: TriageItemView, filter: "open" | "routed" | "all"): boolean {
  return filter === "all" || item.status === filter;
}

/**
 * Apply a `triage:update`: changed items replace theirs (or join the queue), removed ones
 * leave, items that no longer match the filter leave too; the result is in the server's order.
 */
export function applyUpdate(items: readonly TriageItemView[], update: TriageUpdate, filter: "open" | "routed" | "all"): TriageItemView[] {
  const byId = new Map(items.map((i) => [i.conversationId, i]));
  for (const id of update.removed) byId.delete(id);
  for (const item of update.items) {
    if (matchesFilter(item, filter)) {
      // A push carries no preview: keep one already opened.
      const prev = byId.get(item.conversationId);
      byId.set(item.conversationId, prev?.preview !== undefined && item.preview === undefined ? { ...item, preview: prev.preview } : item);
    } else byId.delete(item.conversationId);
  }
  return [...byId.values()].sort(compareItems);
}

/** Time left to the SLA (negative when overdue). */
export const slaLeftMs = (item: Pick<TriageItemView, "slaDueAt">, now: number): number => Date.parse(item.slaDueAt) - now;

/** Who has the item, as the queue shows it: "you", a colleague by name, or nobody. */
export function claimLabel(item: Pick<TriageItemView, "claimedBy" | "claimedByName">, me: { id: string }): string {
  if (!item.claimedBy) return "unclaimed";
  if (item.claimedBy === me.id) return "claimed by you";
  return `claimed by ${item.claimedByName || "a colleague"}`;
}

/**
 * The list as shown: the queue plus the cards just acted on that are leaving it (answered,
 * or routed out of "Open"). A leaving card stays where it stood for a moment, showing what
 * happened, so the next card does not slide under the pointer straight after a click.
 */
export function withLeaving(items: readonly TriageItemView[], leaving: readonly TriageItemView[]): TriageItemView[] {
  const ids = new Set(items.map((i) => i.conversationId));
  const extra = leaving.filter((i) => !ids.has(i.conversationId));
  return extra.length === 0 ? (items as TriageItemView[]) : [...items, ...extra].sort(compareItems);
}

/** Does an action's answer take the card out of the list (closed, or no longer matching the filter)? */
export function leavesList(next: TriageItemView | null, filter: "open" | "routed" | "all"): boolean {
  return next === null || !matchesFilter(next, filter);
}

/** Routing claims an unclaimed item for whoever routes it: the button says so. */
export function routeLabel(item: Pick<TriageItemView, "claimedBy">): string {
  return item.claimedBy ? "Route" : "Route and claim";
}

/** The line under the routing controls: what routing does to the claim. */
export function routeHint(item: Pick<TriageItemView, "claimedBy" | "claimedByName">, me: { id: string }): string {
  if (!item.claimedBy) return "Routing also claims it for you.";
  if (item.claimedBy === me.id) return "You have claimed it; routing keeps your claim.";
  return `Routing keeps the claim of ${item.claimedByName || "your colleague"}.`;
}

/** After routing: to whom, and who holds the claim now. */
export function routedNotice(item: Pick<TriageItemView, "claimedBy" | "claimedByName" | "routedTo" | "careTeam">, me: { id: string }): string {
  const to = item.careTeam.find((p) => p.id === item.routedTo)?.name || "the physician";
  const claim = item.claimedBy === me.id ? " and claimed by you" : item.claimedBy ? ` (claimed by ${item.claimedByName || "a colleague"})` : "";
  return `Routed to ${to}${claim}. They have been notified.`;
}
