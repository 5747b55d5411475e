import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/src/services.js";
import { loginAgent, makeUser, type Person, startTestApp, type TestApp } from "../../server/src/test/harness.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

/**
 * What the trial found when a care team changed (and when an account was disabled), in
 * chromium at the trial's 1280×800: the admin starts from the current team and is asked
 * before removing anyone; the removed physician's open chat and record close in place; the
 * patient no longer sees them; a disabled patient is told why they were signed out.
 */
const DIST = path.resolve(import.meta.dirname, "..", "..", "client", "dist");
const VIEWPORT = { width: 1280, height: 800 };

let app: TestApp;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(DIST, "index.html"))) throw new Error("client/dist is missing: `npm test` builds it first (npm run build:client)");
  const port = await freePort();
  app = await startTestApp({ PORT: String(port), CLIENT_DIST: DIST, ALLOWED_ORIGINS: `http://127.0.0.1:${port}` });
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

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, name) });

describe("changing a care team", () => {
  it("starts from the current team, confirms a removal, and closes the removed physician's chat and record in place", async () => {
    const before = await makeUser(app, "physician", { name: "Dr. Rachel Before" });
    const after = await makeUser(app, "physician", { name: "Dr. Omar After" });
    const patient = await makeUser(app, "patient", { name: "Aisha Teamchange" });
    await app.services.admin.setCareTeam({ patientId: patient.id, physicianIds: [before.id] }, { resource: "careteam" });
    const admin = await makeUser(app, "admin", { name: "Alex Admin" });

    // The physician has the patient's conversation and record open.
    const doctor = await signedIn(before);
    await doctor.page.getByTestId("conversation-item").first().waitFor({ timeout: 30_000 });
    await doctor.page.getByTestId("conversation-item").first().click();
    await doctor.page.getByTestId("patient-panel").waitFor();
    // The patient sees them as their physician.
    const pat = await signedIn(patient);
    await pat.page.getByTestId("chat-title").filter({ hasText: "Dr. Rachel Before" }).waitFor();

    const { page } = await signedIn(admin);
    await page.getByTestId("admin-tab-careteams").click();
    await page.getByTestId("care-team-patient-q").fill("Aisha Teamchange");
    await page.getByTestId("care-team-patient-find").click();
    await page.getByTestId("care-team-patient-result").first().click();
    // The current physician is ticked, not a blank slate.
    await page.getByTestId("care-team-current").filter({ hasText: "Dr. Rachel Before" }).waitFor();
    expect(await page.locator(`[data-testid="care-team-physician"][value="${before.id}"]`).isChecked()).toBe(true);
    expect(await page.getByTestId("care-team-submit").isDisabled()).toBe(true);

    // Swap: the change is said in words before anything is saved, and the removal is asked about.
    await page.locator(`[data-testid="care-team-physician"][value="${after.id}"]`).check();
    await page.locator(`[data-testid="care-team-physician"][value="${before.id}"]`).uncheck();
    await expect.poll(() => page.getByTestId("care-team-changes").textContent()).toContain("Dr. Rachel Before will be removed");
    await page.getByTestId("care-team-submit").click();
    await page.getByTestId("care-team-confirm").waitFor();
    await shot(page, "care-team-confirm.png");
    expect(await app.db.models.careTeams.countDocuments({ patientId: patient.id, physicianIds: after.id })).toBe(0);
    await page.getByTestId("care-team-confirm-remove").click();
    const result = await page.getByTestId("care-team-result").textContent({ timeout: 10_000 });
    expect(result).toContain("care team is now Dr. Omar After");
    expect(result).toContain("Dr. Rachel Before was removed");
    await shot(page, "care-team-saved.png");

    // The removed physician's open chat and record close where they are; no empty panels.
    await doctor.page.getByTestId("conversation-closed").waitFor({ timeout: 10_000 });
    await doctor.page.getByTestId("patient-panel-access-lost").waitFor();
    expect(await doctor.page.getByTestId("patient-panel").count()).toBe(0);
    expect(await doctor.page.getByTestId("composer-input").count()).toBe(0);
    await shot(doctor.page, "care-team-physician-removed.png");

    // The patient now talks to the new physician only.
    await pat.page.getByTestId("chat-title").filter({ hasText: "Dr. Omar After" }).waitFor({ timeout: 10_000 });
    expect(await pat.page.getByText("Dr. Rachel Before").count()).toBe(0);
    await shot(pat.page, "care-team-patient-after.png");

    // The physician's client stopped asking: no refusal was audited after the change.
    await app.audit.flush();
    const denied = await app.db.models.audit.countDocuments({ userId: before.id, outcome: "denied" });
    expect(denied).toBe(0);
    await Promise.all([doctor.context.close(), pat.context.close(), page.context().close()]);
  }, 90_000);

  it("tells a patient whose account was disabled why they were signed out (not inactivity)", async () => {
    const patient = await makeUser(app, "patient", { name: "Dana Disabled" });
    const { page, context } = await signedIn(patient);
    await page.getByTestId("nav-chat").waitFor();
    const admin = await makeUser(app, "admin");
    const agent = await loginAgent(app, admin);
    expect((await agent.post(`/api/admin/users/${patient.id}/disable`)).status).toBe(200);
    const notice = await page.getByTestId("login-notice").textContent({ timeout: 10_000 });
    expect(notice).toMatch(/account has been disabled/);
    expect(notice).not.toMatch(/inactivity/);
    await shot(page, "disabled-patient-notice.png");
    await context.close();
  }, 60_000);

  it("raised no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
