// @vitest-environment node
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { MFA_RESET_REASONS, type AnomalyView } from "@glp1/shared";
import { AccountSearch } from "./AccountSearch.js";
import { MfaResetForm, ResetMfaButton } from "./AccountActions.js";
import { MFA_RESET_LABELS } from "./adminApi.js";
import { AuditTab } from "./AuditTab.js";
import { AnomalyItem, anomalyCountText } from "./ComplianceTabs.js";
import { UserPicker } from "./UserPicker.js";

const directory = { staff: [], error: null, reload: () => undefined, nameOf: () => null };

/** The `<option>`s of a rendered select that are selected. */
const selectedOptions = (html: string) => html.match(/<option[^>]*\sselected=""[^>]*>[^<]*<\/option>/g) ?? [];
/** A rendered button's opening tag, by test id. */
const button = (html: string, testId: string) => new RegExp(`<button[^>]*data-testid="${testId}"[^>]*>`).exec(html)?.[0] ?? "";
const anomaly = (over: Partial<AnomalyView> = {}): AnomalyView =>
  ({
    id: "e".repeat(24),
    rule: "break_glass",
    subject: "d".repeat(24),
    userId: "d".repeat(24),
    count: 4,
    threshold: 1,
    status: "open",
    windowStart: "2026-12-03T19:57:00.000Z",
    lastSeenAt: "2026-12-03T19:57:00.000Z",
    closedAt: null,
    resolution: null,
    ...over,
  }) as AnomalyView;

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

  it("the MFA reset asks for a reason: none is chosen in advance, and Reset is disabled until one is", () => {
    const html = renderToString(createElement(MfaResetForm, { userId: "b".repeat(24), label: "Dr X", onCancel: () => undefined, onDone: () => undefined }));
    expect(selectedOptions(html)).toEqual(['<option value="" disabled="" selected="">Choose a reason…</option>']);
    expect(button(html, "mfa-reset-confirm")).toMatch(/\sdisabled=""/);
  });

  it("closing an anomaly asks for a resolution: none is chosen in advance, and Close is disabled until one is", () => {
    const html = renderToString(createElement(AnomalyItem, { a: anomaly(), isNew: false, who: "Dr. Rachel Chen", onClosed: () => undefined }));
    expect(selectedOptions(html)).toEqual(['<option value="" disabled="" selected="">Choose a resolution…</option>']);
    expect(button(html, "anomaly-close")).toMatch(/\sdisabled=""/);
  });

  it("an anomaly's count reads in words, against the level that raises it", () => {
    const html = renderToString(createElement(AnomalyItem, { a: anomaly(), isNew: false, who: "Dr. Rachel Chen", onClosed: () => undefined }));
    expect(html).not.toContain("threshold");
    expect(html.replace(/<!-- -->/g, "")).toContain("4 record accesses under break glass — alerts at 1");
    expect(anomalyCountText({ rule: "login_failures_ip", count: 1, threshold: 20 })).toBe("1 failed sign-in — alerts at 20");
    expect(anomalyCountText({ rule: "bulk_patient_reads", count: 60, threshold: 50 })).toBe("60 patients' records read — alerts at 50");
  });

  it("the audit tab opens with a preset filter", () => {
    const html = renderToString(createElement(AuditTab, { directory, preset: { patientId: "c".repeat(24) } }));
    expect(html).toContain(`value="${"c".repeat(24)}"`);
    expect(html).toContain('data-testid="audit-older"');
  });
});
