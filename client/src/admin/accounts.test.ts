// @vitest-environment node
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { MFA_RESET_REASONS } from "@glp1/shared";
import { AccountSearch } from "./AccountSearch.js";
import { ResetMfaButton } from "./AccountActions.js";
import { MFA_RESET_LABELS } from "./adminApi.js";
import { AuditTab } from "./AuditTab.js";
import { UserPicker } from "./UserPicker.js";

const directory = { staff: [], error: null, reload: () => undefined, nameOf: () => null };

describe("admin account screens (render)", () => {
  it("the account search starts as an empty search form, with no results table", () => {
    const html = renderToString(createElement(AccountSearch, { me: { id: "a".repeat(24), role: "admin", name: "Admin" }, onCareTeam: () => undefined, onAudit: () => undefined }));
    expect(html).toContain('data-testid="account-search-q"');
    expect(html).toContain('type="search"');
    expect(html).not.toContain('data-testid="account-search-results"');
  });

  it("a picker shows who was chosen by name, not by id alone", () => {
    const html = renderToString(createElement(UserPicker, { label: "Patient", role: "patient", testId: "p", picked: { id: "0123456789abcdef01234567", name: "Ann Smith" }, onPick: () => undefined }));
    expect(html).toContain("Ann Smith");
    expect(html).toContain("234567");
  });

  it("the MFA reset starts closed, and every reset reason has a label", () => {
    expect(renderToString(createElement(ResetMfaButton, { userId: "b".repeat(24), label: "Dr X", onDone: () => undefined }))).toContain("Reset MFA");
    for (const r of MFA_RESET_REASONS) expect(MFA_RESET_LABELS[r]).toBeTruthy();
  });

  it("the audit tab opens with a preset filter", () => {
    const html = renderToString(createElement(AuditTab, { directory, preset: { patientId: "c".repeat(24) } }));
    expect(html).toContain(`value="${"c".repeat(24)}"`);
    expect(html).toContain('data-testid="audit-older"');
  });
});
