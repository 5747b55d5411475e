import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/src/services.js";
import { connectSocket, emitAck, enrollMfa, loginAgent, makeCareTeam, makeUser, type Person, startTestApp, type TestApp } from "../../server/src/test/harness.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

/**
 * The staff screens a new-user trial found wanting, checked in chromium at 1280×800 (the
 * trial's laptop): the break-glass record names its patient, the dashboard gives the table
 * the room and shows which column is sorted, a canned reply is confirmed and seen to go,
 * and the admin screens ask for deliberate choices.
 */
const DIST = path.resolve(import.meta.dirname, "..", "..", "client", "dist");
const VIEWPORT = { width: 1280, height: 800 };
const poll = { timeout: 5_000, interval: 100 };

let app: TestApp;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(DIST, "index.html"))) throw new Error("client/dist is missing: `npm test` builds it first (npm run build:client)");
  const port = await freePort();
  // Clinic always open: no after-hours auto-reply in the triage scenario.
  app = await startTestApp({ PORT: String(port), CLIENT_DIST: DIST, ALLOWED_ORIGINS: `http://127.0.0.1:${port}`, CLINIC_HOURS: "00:00-24:00", CLINIC_DAYS: "0,1,2,3,4,5,6" });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signedIn(who: Person): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${who.role}: ${e.message}`));
  await page.goto(app.url);
  await page.getByTestId("login-email").fill(who.email);
  await page.getByTestId("login-password").fill(who.password);
  await page.getByTestId("login-submit").click();
  return { context, page };
}

/** A patient of `physician` (a care team of their own), with this name. */
async function patientOf(physician: Person, name: string): Promise<Person> {
  const p = await makeUser(app, "patient", { name });
  await app.services.admin.setCareTeam({ patientId: p.id, physicianIds: [physician.id] }, { resource: "careteam" });
  return p;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, name) });

// In-page measurements (browser JavaScript, kept as source: this project's Node typecheck has no DOM types).

/** Where the sort arrow sits against the sorted header and the last letter of its label. */
const SORT_ARROW_GEOMETRY = `(() => {
  const th = document.querySelector('[role="columnheader"][aria-sort]');
  const mark = [...th.querySelectorAll("*")].find((el) => /^[▲▼]$/.test((el.textContent || "").trim()));
  const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
  let last = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent.trim() && !mark.contains(n)) last = n;
  const end = last.textContent.trimEnd().length;
  const range = document.createRange();
  range.setStart(last, end - 1);
  range.setEnd(last, end);
  const word = range.getBoundingClientRect();
  const a = mark.getBoundingClientRect();
  const h = th.getBoundingClientRect();
  return {
    label: th.textContent,
    sort: th.getAttribute("aria-sort"),
    gap: a.left - word.right,
    dy: Math.abs(a.top + a.height / 2 - (word.top + word.height / 2)),
    inside: a.left >= h.left && a.right <= h.right,
  };
})()`;

/** The first result row: its name's text against the "Disable…" label (vertically), and that label against the "Actions" heading. */
const ACTION_ALIGNMENT = `(() => {
  const textBox = (el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    return r.getBoundingClientRect();
  };
  const tr = document.querySelector('[data-testid="account-row"]');
  const name = textBox(tr.cells[0]);
  const label = textBox(tr.querySelector('[data-testid="disable-user"]'));
  const th = [...document.querySelectorAll('[data-testid="account-search-results"] th')].find((h) => h.textContent === "Actions");
  return { dy: Math.abs(name.top + name.height / 2 - (label.top + label.height / 2)), dx: Math.abs(label.left - textBox(th).left) };
})()`;

describe("staff screens at 1280×800", () => {
  it("dashboard: a live urgent alert is named above the table, and the record shows the dose timeline", async () => {
    const doctor = await makeUser(app, "physician");
    const quiet = await patientOf(doctor, "Quentin Abbott");
    const flagged = await patientOf(doctor, "Zora Young");
    const report = (p: Person, readings: object[]) =>
      app.services.metrics.report({ userId: p.id, role: "patient", sessionId: "e2e" }, { readings } as never, { resource: "reading" });
    const weeksAgo = (w: number) => new Date(Date.now() - w * 7 * 86_400_000).toISOString();
    for (const [w, mg] of [[9, 0.25], [8, 0.25], [7, 0.25], [6, 0.25], [2, 0.5]] as const) {
      await report(flagged, [{ kind: "dose", value: { drug: "semaglutide", mg, site: "abdomen" }, unit: "mg", observedAt: weeksAgo(w) }]);
    }
    await report(quiet, [{ kind: "weight", value: 90, unit: "kg", observedAt: weeksAgo(1) }]);
    const { context, page } = await signedIn(doctor);
    await expect.poll(() => page.getByTestId("dashboard-row").count(), poll).toBe(2);
    await page.waitForTimeout(1000); // subscribed

    await report(flagged, [{ kind: "glucose", value: 48, unit: "mg/dL", observedAt: new Date().toISOString() }]);
    const raised = page.getByTestId("raised-alert");
    await expect.poll(() => raised.allTextContents(), poll).toEqual([expect.stringMatching(/Urgent.*New urgent alert: Zora Young/)]);
    await shot(page, "staff-dashboard-raised-alert.png");
    await raised.getByRole("button", { name: "Open record" }).click();
    await expect.poll(() => page.getByTestId("patient-panel").getByRole("heading", { level: 2 }).textContent(), poll).toBe("Zora Young");
    expect(await page.getByTestId("raised-alert").count()).toBe(0);

    const timeline = page.getByTestId("dose-timeline");
    await expect.poll(() => timeline.getByTestId("dose-step").allTextContents(), poll).toEqual([
      expect.stringMatching(/Wegovy.*0\.5 mg.*1 dose$/),
      expect.stringMatching(/Wegovy.*0\.25 mg.*4 doses$/),
    ]);
    expect(await timeline.getByTestId("dose-gap").textContent()).toMatch(/No dose for 28 days/);
    await timeline.scrollIntoViewIfNeeded();
    await shot(page, "staff-record-dose-timeline.png");

    // With a filter that hides the patient, the alert is named all the same, with a way to see them.
    await page.getByTestId("back-to-dashboard").click();
    await page.getByTestId("filter-unread").check();
    await expect.poll(() => page.getByTestId("dashboard-empty").count(), poll).toBe(1);
    await report(quiet, [{ kind: "glucose", value: 45, unit: "mg/dL", observedAt: new Date().toISOString() }]);
    await expect.poll(() => raised.allTextContents(), poll).toEqual([expect.stringMatching(/New urgent alert: Quentin Abbott \(not shown with these filters\)/)]);
    await page.getByTestId("raised-clear-filters").click();
    await expect.poll(() => page.getByTestId("dashboard-row").count(), poll).toBe(2);
    expect(await page.getByTestId("filter-unread").isChecked()).toBe(false);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it("break glass: the record is headed by the patient's name, with when the access ends", async () => {
    const other = await makeUser(app, "physician");
    const found = await patientOf(other, "Ingrid Lindqvist");
    const typed = await patientOf(other, "Tomasz Wojcik");
    const doctor = await makeUser(app, "physician");
    const { context, page } = await signedIn(doctor);
    await page.getByTestId("dashboard").waitFor();

    // Found by name in the lookup.
    await page.getByTestId("break-glass-open").click();
    await page.getByTestId("break-glass-lookup-q").fill("Ingrid Lindqvist");
    await page.getByTestId("break-glass-lookup-find").click();
    await page.getByTestId("break-glass-lookup-result").click();
    await page.getByTestId("break-glass-reason").fill("Unresponsive in the emergency department, on GLP-1 per family");
    await page.getByTestId("break-glass-submit").click();
    const heading = page.getByTestId("patient-panel").getByRole("heading", { level: 2 });
    await expect.poll(() => heading.textContent(), poll).toBe(found.name);
    const banner = page.getByTestId("emergency-banner");
    await expect.poll(() => banner.textContent(), poll).toMatch(/^Emergency access — ends at \d{1,2}:\d{2}/);
    expect(await banner.textContent()).toContain(found.name);
    await shot(page, "staff-breakglass-record.png");

    // A reference typed from a referral: the name is looked up all the same.
    await page.getByTestId("back-to-dashboard").click();
    await page.getByTestId("break-glass-open").click();
    await page.getByTestId("break-glass-patient").fill(typed.id);
    await page.getByTestId("break-glass-reason").fill("Referral from urgent care, possible pancreatitis");
    await page.getByTestId("break-glass-submit").click();
    await expect.poll(() => heading.textContent(), poll).toBe(typed.name);
    // The dashboard's list of open grants names both patients.
    await page.getByTestId("back-to-dashboard").click();
    await expect.poll(() => page.getByTestId("grant-item").allTextContents(), poll).toEqual([expect.stringContaining(found.name), expect.stringContaining(typed.name)]);

    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it("dashboard: the cohort chart is collapsed (and remembered), the sort arrow sits in its column, names sort by family name", async () => {
    const doctor = await makeUser(app, "physician");
    const names = ["Carlos Haddad", "Aisha Smith", "Ahmed Cohen", "Maria Garcia", "Thomas Kim", "Daniel Larsen", "Samuel Lopez", "Aisha Nguyen", "Zoe Adams", "Bo Smithers"];
    for (const name of names) await patientOf(doctor, name);
    const { context, page } = await signedIn(doctor);
    const rows = page.getByTestId("dashboard-row");
    await rows.first().waitFor();

    // Collapsed by default: the table shows most of the panel.
    const cohortOpen = async () => (await page.getByTestId("cohort-card").getAttribute("open")) !== null;
    expect(await cohortOpen()).toBe(false);
    expect(await rows.count()).toBe(names.length);
    const table = await page.getByTestId("dashboard-table").boundingBox();
    expect(table!.height).toBeGreaterThan(VIEWPORT.height * 0.6);
    await shot(page, "staff-dashboard.png");

    // The sort arrow: in the sorted header, right after its label's last word, on its line.
    const arrow = await page.evaluate<{ label: string; sort: string; gap: number; dy: number; inside: boolean }>(SORT_ARROW_GEOMETRY);
    expect(arrow.label).toMatch(/^Open alerts/);
    expect(arrow.sort).toBe("descending");
    expect(arrow.inside).toBe(true);
    expect(arrow.gap).toBeGreaterThanOrEqual(0);
    expect(arrow.gap).toBeLessThan(8);
    expect(arrow.dy).toBeLessThan(4);

    // By name: family name, then given name.
    await page.getByTestId("sort-name").click();
    const family = ["Zoe Adams", "Ahmed Cohen", "Maria Garcia", "Carlos Haddad", "Thomas Kim", "Daniel Larsen", "Samuel Lopez", "Aisha Nguyen", "Aisha Smith", "Bo Smithers"];
    await expect.poll(() => rows.getByTestId("dashboard-open").allTextContents(), poll).toEqual(family);
    expect(await page.locator('[role="columnheader"][aria-sort]').count()).toBe(1);
    expect(await page.locator('[role="columnheader"][aria-sort="ascending"]').textContent()).toMatch(/^Patient/);
    await shot(page, "staff-dashboard-by-name.png");

    // Opened, it stays open after a reload; closed again, it stays closed.
    await page.getByTestId("cohort-toggle").click();
    await expect.poll(cohortOpen, poll).toBe(true);
    await page.getByTestId("cohort-toggle").getByText("Hide chart").waitFor();
    await shot(page, "staff-dashboard-cohort-open.png");
    await page.reload();
    await rows.first().waitFor();
    expect(await cohortOpen()).toBe(true);
    await page.getByTestId("cohort-toggle").click();
    await page.reload();
    await rows.first().waitFor();
    expect(await cohortOpen()).toBe(false);

    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it("triage: a canned reply is confirmed, shows as sent in place, then leaves; routing says it claims", async () => {
    const doctor = await makeUser(app, "physician");
    const cards: string[] = [];
    for (let i = 0; i < 3; i++) {
      const team = await makeCareTeam(app);
      await app.services.admin.setCareTeam({ patientId: team.patient.id, physicianIds: [team.physician.id, doctor.id] }, { resource: "careteam" });
      const socket = await connectSocket(app, (await loginAgent(app, team.patient)).cookie);
      const ack = await emitAck(socket, "chat:send", { conversationId: team.conversationId, body: `Can I get a refill of my pen (${i})?`, clientId: `staff-e2e-refill-${i}-${Date.now()}` });
      socket.close();
      expect(ack.ok).toBe(true);
      cards.push(team.conversationId);
    }
    const support = await makeUser(app, "support");
    const { context, page } = await signedIn(support);
    const items = page.getByTestId("triage-item");
    await expect.poll(() => items.count(), poll).toBe(3);

    // Routing an unclaimed item says it claims it too.
    const first = items.first();
    expect(await first.getByTestId("triage-route").textContent()).toBe("Route and claim");
    expect(await first.getByTestId("triage-route-hint").textContent()).toBe("Routing also claims it for you.");

    // Send reply asks first; nothing is sent until "Send now".
    await first.getByTestId("triage-canned-send").click();
    await first.getByTestId("triage-canned-confirm").waitFor();
    await shot(page, "staff-triage-confirm.png");
    await first.getByTestId("triage-canned-cancel").click();
    expect(await first.getByTestId("triage-canned-confirm").count()).toBe(0);
    await first.getByTestId("triage-canned-send").click();
    const secondTop = (await items.nth(1).boundingBox())!.y;
    await first.getByTestId("triage-canned-confirm").click();

    // Sent: the card stays where it was, saying so, and the next card has not moved up.
    await expect.poll(() => first.getByTestId("triage-sent").textContent(), poll).toMatch(/Reply sent/);
    expect(await items.count()).toBe(3);
    expect((await items.nth(1).boundingBox())!.y).toBeGreaterThanOrEqual(secondTop - 1);
    expect(await first.getByTestId("triage-canned-send").isDisabled()).toBe(true);
    await shot(page, "staff-triage-sent.png");
    // …then it leaves.
    await expect.poll(() => items.count(), { timeout: 6_000, interval: 100 }).toBe(2);

    // Route and claim: the notice says who has it now.
    const next = items.first();
    await next.getByTestId("triage-route").click();
    await expect.poll(() => next.getByTestId("triage-notice").textContent(), poll).toMatch(/^Routed to .+ and claimed by you\./);
    await shot(page, "staff-triage-routed.png");
    await expect.poll(() => items.count(), { timeout: 6_000, interval: 100 }).toBe(1);

    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it("admin: empty search clears, row actions line up, choices are deliberate, anomaly counts read in words", async () => {
    const target = await enrollMfa(app, await makeUser(app, "physician", { name: "Dr. Omar Farouk" }));
    const other = await makeUser(app, "physician");
    const patient = await patientOf(other, "Lena Okafor");
    const grant = await (await loginAgent(app, target)).post(`/api/patients/${patient.id}/break-glass`, { reason: "Emergency department, unconscious patient" });
    expect(grant.status).toBe(200);
    const admin = await makeUser(app, "admin");
    const { context, page } = await signedIn(admin);
    await page.getByTestId("account-search-q").waitFor();

    await page.getByTestId("account-search-q").fill("Farouk");
    await page.getByTestId("account-search-submit").click();
    const row = page.getByTestId("account-row");
    await expect.poll(() => row.count(), poll).toBe(1);

    // The row's text and its buttons' labels on one line; the first label under "Actions".
    const align = await page.evaluate<{ dy: number; dx: number }>(ACTION_ALIGNMENT);
    expect(align.dy).toBeLessThan(3);
    expect(align.dx).toBeLessThan(3);
    await shot(page, "staff-admin-search.png");

    // MFA reset: no reason chosen for the admin; Reset waits for one.
    await row.getByTestId("mfa-reset").click();
    const reason = row.getByTestId("mfa-reset-reason");
    expect(await reason.inputValue()).toBe("");
    expect(await row.getByTestId("mfa-reset-confirm").isDisabled()).toBe(true);
    await shot(page, "staff-admin-mfa-reset.png");
    await reason.selectOption("LOST_DEVICE");
    expect(await row.getByTestId("mfa-reset-confirm").isDisabled()).toBe(false);
    await row.getByRole("button", { name: "Keep" }).click();

    // An emptied search takes the results away; searching nothing says what to type.
    await page.getByTestId("account-search-q").fill("");
    await expect.poll(() => page.getByTestId("account-search-results").count(), poll).toBe(0);
    await page.getByTestId("account-search-q").fill("Farouk");
    await page.getByTestId("account-search-submit").click();
    await expect.poll(() => row.count(), poll).toBe(1);
    await page.getByTestId("account-search-q").fill("   ");
    await page.getByTestId("account-search-submit").click();
    expect(await page.getByTestId("account-search-results").count()).toBe(0);
    expect(await page.getByTestId("account-search-error").textContent()).toMatch(/Type a name or email/);

    // Anomalies: the count in words; no resolution chosen in advance.
    await page.getByTestId("admin-tab-anomalies").click();
    const anomaly = page.locator('[data-testid="anomaly-item"][data-rule="break_glass"]');
    await expect.poll(() => anomaly.count(), { timeout: 10_000, interval: 250 }).toBeGreaterThan(0);
    const line = (await anomaly.first().textContent()) ?? "";
    expect(line).toMatch(/\d+ record access(es)? under break glass — alerts at 1/);
    expect(line).not.toContain("threshold");
    expect(await anomaly.first().getByTestId("anomaly-resolution").inputValue()).toBe("");
    expect(await anomaly.first().getByTestId("anomaly-close").isDisabled()).toBe(true);
    await shot(page, "staff-admin-anomalies.png");
    await anomaly.first().getByTestId("anomaly-resolution").selectOption("benign");
    expect(await anomaly.first().getByTestId("anomaly-close").isDisabled()).toBe(false);

    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
