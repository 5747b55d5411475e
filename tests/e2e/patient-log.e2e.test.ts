import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/src/services.js";
import { loginAgent, makeCareTeam, type Person, startTestApp, type TestApp } from "../../server/src/test/harness.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

/**
 * The patient's side as a new user found it, in real chromium: a section opened while
 * offline (its code-split chunk cannot download), the connection badge when the browser
 * knows it is offline, the dose log's default, and the chart of what was just logged.
 */
const DIST = path.resolve(import.meta.dirname, "..", "..", "client", "dist");
const poll = { timeout: 5_000, interval: 100 };

let app: TestApp;
let browser: Browser;
/** Uncaught errors in any page of the current test (a failed chunk must not be one). */
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(DIST, "index.html"))) throw new Error("client/dist is missing: `npm test` builds it first (npm run build:client)");
  const port = await freePort();
  app = await startTestApp({ PORT: String(port), CLIENT_DIST: DIST, ALLOWED_ORIGINS: `http://127.0.0.1:${port}` });
  browser = await launchBrowser();
});
beforeEach(() => {
  pageErrors.length = 0;
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signedIn(who: Person, viewport = { width: 1100, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(app.url);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (who.role === "patient") await page.getByRole("textbox", { name: /Message to/ }).waitFor();
  else await page.getByRole("table", { name: "Patients in your panel" }).getByRole("row").nth(1).waitFor();
  return { context, page };
}

const tab = (page: Page, name: string) => page.getByRole("navigation", { name: "Sections" }).getByRole("button", { name: new RegExp(`^${name}`) });
const badge = (page: Page) => page.getByTestId("connection-status");
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

async function logReading(page: Page, kind: string, fields: Record<string, string>): Promise<void> {
  await page.getByTestId("metric-kind").selectOption(kind);
  for (const [testId, value] of Object.entries(fields)) await page.getByTestId(testId).fill(value);
  await page.getByTestId("metric-submit").click();
  await page.getByTestId("metric-saved").waitFor();
}

describe("the patient's app offline and on the Log tab", () => {
  it("offline: the badge says Offline at once; a section that cannot load says so, the rest works, and it loads by itself once back online", async () => {
    const team = await makeCareTeam(app);
    const { context, page } = await signedIn(team.patient);
    await expect.poll(() => badge(page).textContent(), poll).toBe("Live");

    await context.setOffline(true);
    // At once, not after Socket.IO's heartbeat times out.
    await expect.poll(() => badge(page).textContent(), { timeout: 1_000, interval: 50 }).toBe("Offline");
    await shot(page, "patient-chat-offline.png");

    await tab(page, "Log").click();
    const error = page.getByTestId("screen-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("This screen could not load — check your connection");
    await expect.poll(() => page.getByRole("button", { name: "Retry" }).isVisible(), poll).toBe(true);
    await shot(page, "patient-log-offline.png");

    // The rest of the app is still there: the tabs and the chat.
    await tab(page, "Chat").click();
    await page.getByRole("textbox", { name: /Message to/ }).waitFor();
    await tab(page, "Log").click();
    await error.waitFor();

    // Back online: the socket reconnects and the Log screen loads without a click.
    await context.setOffline(false);
    await page.getByRole("heading", { name: "Log a reading" }).waitFor({ timeout: 10_000 });
    await tab(page, "Chat").click();
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000, interval: 100 }).toBe("Live");
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 45_000);

  it("a chunk that failed while online loads again with the Retry button", async () => {
    const team = await makeCareTeam(app);
    const { context, page } = await signedIn(team.patient);
    await page.route(/\/assets\/PatientPrescriptions-[^/]*\.js$/, (route) => route.abort("internetdisconnected"));
    await tab(page, "Prescriptions").click();
    await page.getByTestId("screen-error").waitFor();
    await page.unroute(/\/assets\/PatientPrescriptions-[^/]*\.js$/);
    await page.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("heading", { name: "Your prescriptions" }).waitFor();
    expect(await page.getByTestId("screen-error").count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 30_000);

  it("the dose log starts at the patient's current prescription (Zepbound 5 mg), and at Wegovy 0.25 mg without one", async () => {
    const team = await makeCareTeam(app);
    const doctor = await loginAgent(app, team.physician);
    const created = await doctor.post("/api/prescriptions", {
      patientId: team.patient.id,
      drug: "tirzepatide",
      doseMg: 5,
      directions: "Inject 5 mg under the skin once weekly",
      quantity: 4,
      refills: 2,
      overrideReason: "Already on 5 mg with the previous clinic",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const signed = await doctor.post(`/api/prescriptions/${created.body.prescription.id}/sign`);
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);

    const { context, page } = await signedIn(team.patient, { width: 390, height: 844 });
    await tab(page, "Log").click();
    await page.getByTestId("metric-kind").selectOption("dose");
    await expect.poll(() => page.getByTestId("metric-dose-drug").inputValue(), poll).toBe("tirzepatide");
    await expect.poll(() => page.getByTestId("metric-dose-mg").inputValue(), poll).toBe("5");
    await shot(page, "patient-log-dose-default.png");
    await context.close();

    const other = await makeCareTeam(app);
    const second = await signedIn(other.patient, { width: 390, height: 844 });
    await tab(second.page, "Log").click();
    await second.page.getByTestId("metric-kind").selectOption("dose");
    // Give the (empty) prescription list time to answer: the fallback must stay.
    await second.page.waitForLoadState("networkidle");
    expect(await second.page.getByTestId("metric-dose-drug").inputValue()).toBe("semaglutide");
    expect(await second.page.getByTestId("metric-dose-mg").inputValue()).toBe("0.25");
    expect(pageErrors).toEqual([]);
    await second.context.close();
  }, 45_000);

  it("the history under the form follows the kind chosen: blood pressure and glucose have their own charts", async () => {
    const team = await makeCareTeam(app);
    const { context, page } = await signedIn(team.patient);
    await tab(page, "Log").click();
    await page.getByRole("heading", { name: "Log a reading" }).waitFor();

    await logReading(page, "bp", { "metric-systolic": "128", "metric-diastolic": "82" });
    const history = page.getByTestId("reading-history");
    await expect.poll(() => history.getAttribute("data-kind"), poll).toBe("bp");
    await history.getByRole("heading", { name: "Your blood pressure" }).waitFor();
    await page.getByTestId("history-chart-bp").locator("canvas").waitFor();
    await history.getByText("128/82 mmHg").waitFor();
    await history.scrollIntoViewIfNeeded();
    await shot(page, "patient-log-bp-chart.png");

    await logReading(page, "glucose", { "metric-value": "95" });
    await history.getByRole("heading", { name: "Your glucose" }).waitFor();
    await page.getByTestId("history-chart-glucose").locator("canvas").waitFor();
    await history.getByText("95 mg/dL").waitFor();
    expect(await history.getByText("128/82 mmHg").count()).toBe(0);
    await shot(page, "patient-log-glucose-chart.png");

    // Waist: nothing logged yet, and none of the blood pressure or glucose shown as waist.
    await page.getByTestId("metric-kind").selectOption("waist");
    await history.getByRole("heading", { name: "Your waist measurement" }).waitFor();
    await page.getByTestId("reading-history-empty").waitFor();

    // Weight: 30 weeks of weigh-ins (logged from another device), on a chart of months.
    const phone = await loginAgent(app, team.patient);
    const week = 7 * 86_400_000;
    const weights = Array.from({ length: 30 }, (_, i) => ({
      kind: "weight",
      value: 98 - i * 0.4,
      unit: "kg",
      observedAt: new Date(Date.now() - (30 - i) * week).toISOString(),
    }));
    const reported = await phone.post("/api/metrics", { readings: weights, requestId: `weights-${team.patient.id}` });
    expect(reported.status, JSON.stringify(reported.body?.error)).toBe(201);
    await page.getByTestId("metric-kind").selectOption("weight");
    await history.getByRole("heading", { name: "Your weight" }).waitFor();
    await page.getByTestId("history-chart-weight").locator("canvas").waitFor();
    expect(await history.getByText(/mmHg|mg\/dL/).count()).toBe(0);
    await shot(page, "patient-log-weight-chart.png");
    await context.close();

    // The physician's record of the same patient: one reading each, charted too.
    const doctor = await signedIn(team.physician, { width: 1280, height: 900 });
    await doctor.page.getByRole("table", { name: "Patients in your panel" }).getByRole("row", { name: new RegExp(team.patient.name) }).click();
    await doctor.page.getByTestId("bp-chart").locator("canvas").waitFor();
    await doctor.page.getByTestId("glucose-chart").locator("canvas").waitFor();
    await doctor.page.getByTestId("bp-chart").scrollIntoViewIfNeeded();
    await doctor.page.screenshot({ path: path.join(ARTIFACTS, "physician-metrics-single-reading.png") });
    expect(pageErrors).toEqual([]);
    await doctor.context.close();
  }, 45_000);
});
