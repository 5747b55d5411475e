/** What saving a care team would change, in words an admin reads before confirming. */

export interface CareTeamChanges {
  added: string[];
  removed: string[];
  kept: string[];
}

/** Who a save adds, removes and keeps, each in the order given. */
export function careTeamChanges(current: readonly string[], chosen: readonly string[]): CareTeamChanges {
  const before = new Set(current);
  const after = new Set(chosen);
  return {
    added: chosen.filter((id) => !before.has(id)),
    removed: current.filter((id) => !after.has(id)),
    kept: current.filter((id) => after.has(id)),
  };
}

/** "Dr A", "Dr A and Dr B", "Dr A, Dr B and Dr C". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * One sentence per kind of change, for the summary shown before saving (`pending`) or
 * after it. Empty when nothing changes.
 */
export function describeChanges(changes: CareTeamChanges, nameOf: (id: string) => string, patient: string, when: "pending" | "done"): string[] {
  const out: string[] = [];
  const { added, removed } = changes;
  if (removed.length > 0) {
    const who = listNames(removed.map(nameOf));
    out.push(
      when === "pending"
        ? `${who} will be removed from ${patient}'s care team and will no longer be able to open ${patient}'s conversation or record. The conversation's history is kept.`
        : `${who} ${removed.length === 1 ? "was" : "were"} removed and can no longer open ${patient}'s conversation or record.`,
    );
  }
  if (added.length > 0) {
    const who = listNames(added.map(nameOf));
    out.push(
      when === "pending"
        ? `${who} will be added; a conversation with ${patient} opens for ${added.length === 1 ? "them" : "each of them"}.`
        : `${who} ${added.length === 1 ? "was" : "were"} added.`,
    );
  }
  return out;
}
