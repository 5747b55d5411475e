// @vitest-environment node
import { describe, expect, it } from "vitest";
import { careTeamChanges, describeChanges, listNames } from "./careTeamChanges.js";

const names: Record<string, string> = { a: "Dr Chen", b: "Dr Farouk", c: "Dr Lee" };
const nameOf = (id: string) => names[id] ?? id;

describe("care team changes (unit)", () => {
  it("tells additions, removals and the physicians kept apart", () => {
    expect(careTeamChanges(["a", "b"], ["b", "c"])).toEqual({ added: ["c"], removed: ["a"], kept: ["b"] });
    expect(careTeamChanges([], ["a"])).toEqual({ added: ["a"], removed: [], kept: [] });
    expect(careTeamChanges(["a"], ["a"])).toEqual({ added: [], removed: [], kept: ["a"] });
  });

  it("says plainly who will lose access before saving, and what happened after", () => {
    const changes = careTeamChanges(["a"], ["b"]);
    const pending = describeChanges(changes, nameOf, "Aisha Smith", "pending");
    expect(pending[0]).toBe("Dr Chen will be removed from Aisha Smith's care team and will no longer be able to open Aisha Smith's conversation or record. The conversation's history is kept.");
    expect(pending[1]).toMatch(/^Dr Farouk will be added/);
    expect(describeChanges(changes, nameOf, "Aisha Smith", "done")).toEqual(["Dr Chen was removed and can no longer open Aisha Smith's conversation or record.", "Dr Farouk was added."]);
    expect(describeChanges(careTeamChanges(["a"], ["a"]), nameOf, "P", "pending")).toEqual([]);
  });

  it("lists names in plain English", () => {
    expect(listNames(["A"])).toBe("A");
    expect(listNames(["A", "B"])).toBe("A and B");
    expect(listNames(["A", "B", "C"])).toBe("A, B and C");
  });
});
