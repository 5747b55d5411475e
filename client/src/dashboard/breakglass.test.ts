// @vitest-environment node
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import { EmergencyBanner } from "./EmergencyBanner.js";
import { formatEndsAt, grantTitle, resolveGrantName } from "./grants.js";

const ID = "6b11c74c7f67fd75a215d216";

describe("break-glass record: whose it is and until when", () => {
  it("takes the name of the patient chosen in the lookup, without asking again", async () => {
    const lookup = vi.fn();
    expect(await resolveGrantName(ID, { id: ID, name: "Ann Smith" }, lookup)).toBe("Ann Smith");
    expect(lookup).not.toHaveBeenCalled();
  });

  it("asks the lookup by reference when the reference was typed (or differs from the chosen patient)", async () => {
    const lookup = vi.fn(async (id: string) => [{ id, name: "Bo Jones" }]);
    expect(await resolveGrantName(ID, null, lookup)).toBe("Bo Jones");
    expect(await resolveGrantName(ID, { id: "0".repeat(24), name: "Someone Else" }, lookup)).toBe("Bo Jones");
    expect(lookup).toHaveBeenCalledWith(ID);
  });

  it("opens the record without a name when the lookup fails or finds nobody", async () => {
    expect(await resolveGrantName(ID, null, async () => Promise.reject(new Error("offline")))).toBeUndefined();
    expect(await resolveGrantName(ID, null, async () => [])).toBeUndefined();
  });

  it("titles a grant by name, by reference only when the name is unknown", () => {
    expect(grantTitle({ patientId: ID, name: "Ann Smith" })).toBe("Ann Smith");
    expect(grantTitle({ patientId: ID })).toBe("Patient …15d216");
  });

  it("the banner names the patient and says when the access ends", () => {
    const now = Date.parse("2026-12-03T19:57:00Z");
    const until = now + 60 * 60_000;
    const html = renderToString(createElement(EmergencyBanner, { patientId: ID, name: "Ann Smith", until, now }));
    const text = html.replace(/<[^>]+>/g, "").replace(/<!-- -->/g, "");
    expect(text).toContain(`Emergency access — ends at ${formatEndsAt(until)}`);
    expect(text).toContain("Ann Smith");
    expect(text).toContain("(ref …15d216)");
    expect(text).toContain("(1:00:00 left)");
    const expired = renderToString(createElement(EmergencyBanner, { patientId: ID, name: "Ann Smith", until, now: until })).replace(/<[^>]+>/g, "");
    expect(expired).toContain("has expired");
    expect(expired).not.toContain("ends at");
  });

  it("formats the end as a clock time (hours and minutes)", () => {
    expect(formatEndsAt("2026-12-03T20:57:00Z")).toMatch(/^\d{1,2}[:.]\d{2}(\s?[AaPp]\.?[Mm]\.?)?$/);
  });
});
