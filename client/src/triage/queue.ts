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
