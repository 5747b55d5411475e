import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/src/services.js";
import { makeCareTeam, type Person, startTestApp, type TestApp } from "../../server/src/test/harness.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

/**
 * The issue requirement "presence and unread counts are correct across reconnects and
 * several tabs", checked as people see it: several real chromium tabs per person (pages of
 * one browser context share the session cookie, as tabs do), asserting on the text of the
 * dashboard rows, the inbox and the patient's section tabs.
 *
 * Timing, from the server: presence changes when a user's last socket closes, with no grace
 * period of its own (`features/dashboard/presence.ts`); a physician's dashboard hears of it
 * through the dashboard feed, at most one push per DASHBOARD_COALESCE_MS (40 ms; the first change at once).
 * A socket that vanishes without a close frame is only noticed by Socket.IO's heartbeat
 * (pingInterval 25 s + pingTimeout 20 s). Every wait below polls for at most LIVE_MS.
 */
const DIST = path.resolve(import.meta.dirname, "..", "..", "client", "dist");
const LIVE_MS = 5_000;
const poll = { timeout: LIVE_MS, interval: 100 };

let app: TestApp;
let browser: Browser;
/** Uncaught errors in any page of the current test. */
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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A signed-in first tab of a new browser (its own cookie jar). */
async function signedIn(who: Person, viewport = { width: 1400, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${who.role}: ${e.message}`));
  await page.goto(app.url);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await ready(page, who);
  return { context, page };
}

/** Another tab of the same browser: the session cookie signs it in. */
async function newTab(context: BrowserContext, who: Person): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${who.role}: ${e.message}`));
  await page.goto(app.url);
  await ready(page, who);
  return page;
}

async function ready(page: Page, who: Person): Promise<void> {
  if (who.role === "patient") await page.getByRole("textbox", { name: /Message to/ }).waitFor();
  else await page.getByRole("table", { name: "Patients in your panel" }).getByRole("row").nth(1).waitFor();
}

// ---- what the physician sees ---------------------------------------------------------------

/** The patient's row on the physician's dashboard. */
const dashRow = (page: Page, patient: Person): Locator =>
  page.getByRole("table", { name: "Patients in your panel" }).getByRole("row", { name: new RegExp(escape(patient.name)) });

/** "online" / "offline", as the row reads to a screen reader (beside the presence dot). */
async function presenceOf(page: Page, patient: Person): Promise<string> {
  const text = (await dashRow(page, patient).getByRole("cell").first().textContent()) ?? "";
  return /, online\b/.test(text) ? "online" : /, offline\b/.test(text) ? "offline" : `unknown: ${text}`;
}

/** The number in the row's "Unread" column. */
async function dashboardUnread(page: Page, patient: Person): Promise<string> {
  const headers = await page.getByRole("table", { name: "Patients in your panel" }).getByRole("columnheader").allTextContents();
  const col = headers.findIndex((h) => /^Unread/.test(h.trim()));
  return ((await dashRow(page, patient).getByRole("cell").nth(col).textContent()) ?? "").trim();
}

/** The patient's entry in the physician's conversation list (the inbox beside the dashboard). */
const inboxItem = (page: Page, patient: Person): Locator =>
  page.getByRole("navigation", { name: "Patient conversations" }).getByRole("button", { name: new RegExp(escape(patient.name)) });

/** Unread messages the inbox entry announces (0 when it announces none). */
async function inboxUnread(page: Page, patient: Person): Promise<number> {
  const text = (await inboxItem(page, patient).textContent()) ?? "";
  return Number(/(\d+) unread message/.exec(text)?.[1] ?? 0);
}

// ---- what the patient sees -----------------------------------------------------------------

const section = (page: Page, name: string): Locator => page.getByRole("navigation", { name: "Sections" }).getByRole("button", { name: new RegExp(`^${name}`) });

/** Unread messages announced on the patient's "Chat" section tab (shown while elsewhere). */
async function chatTabUnread(page: Page): Promise<number> {
  const text = (await section(page, "Chat").textContent()) ?? "";
  return Number(/(\d+) unread/.exec(text)?.[1] ?? 0);
}

async function send(page: Page, body: string): Promise<void> {
  const box = page.getByRole("textbox", { name: /Message to/ });
  await box.fill(body);
  await box.press("Enter");
  await page.getByTestId("message-list").getByText(body).waitFor();
}

/** Sockets the server counts for a user (summed over nodes): proof it has seen a tab close. */
async function socketsOf(userId: string): Promise<number> {
  const counts = await app.redis.hgetall(`${app.config.namespace}:presence:${userId}`);
  return Object.values(counts).reduce((n, v) => n + Number(v), 0);
}

describe("presence and unread counts in real browser tabs", () => {
  it("a patient with two tabs stays online until the last closes, and is right again after a network drop", async () => {
    const team = await makeCareTeam(app);
    const doctor = await signedIn(team.physician);
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("offline");

    // Two tabs of the patient: online.
    const patient = await signedIn(team.patient, { width: 1000, height: 760 });
    const tab2 = await newTab(patient.context, team.patient);
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("online");
    await expect.poll(() => socketsOf(team.patient.id), poll).toBe(2);

    // One tab closes: once the server has counted the close, still online — live and on a fresh load.
    await patient.page.close();
    await expect.poll(() => socketsOf(team.patient.id), poll).toBe(1);
    const doctorTab2 = await newTab(doctor.context, team.physician);
    expect(await presenceOf(doctorTab2, team.patient)).toBe("online");
    expect(await presenceOf(doctor.page, team.patient)).toBe("online");

    // The last tab closes: offline, live in both of the physician's tabs.
    await tab2.close();
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("offline");
    await expect.poll(() => presenceOf(doctorTab2, team.patient), poll).toBe("offline");

    // A network drop and back: the tab reconnects by itself and the patient is online, counted once.
    const tab3 = await newTab(patient.context, team.patient);
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("online");
    await patient.context.setOffline(true);
    await expect.poll(() => tab3.getByRole("status").filter({ hasText: /^Offline$/ }).count(), poll).toBe(1);
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("offline");
    await patient.context.setOffline(false);
    await tab3.getByRole("status").filter({ hasText: /^Live$/ }).waitFor({ timeout: 10_000 });
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("online");
    await expect.poll(() => socketsOf(team.patient.id), poll).toBe(1);
    await doctorTab2.reload();
    await ready(doctorTab2, team.physician);
    expect(await presenceOf(doctorTab2, team.patient)).toBe("online");

    // …and closing it after the reconnect takes the patient offline at once (no stale socket left).
    await tab3.close();
    await expect.poll(() => presenceOf(doctor.page, team.patient), poll).toBe("offline");
    await expect.poll(() => presenceOf(doctorTab2, team.patient), poll).toBe("offline");

    expect(pageErrors).toEqual([]);
    await patient.context.close();
    await doctor.context.close();
  }, 45_000);

  it("unread counts agree across the physician's dashboard and inbox tabs and the patient's tabs, live and after a reload", async () => {
    const team = await makeCareTeam(app);
    const doctor = await signedIn(team.physician);
    const doctorTab2 = await newTab(doctor.context, team.physician);
    const patient = await signedIn(team.patient, { width: 1000, height: 760 });
    const patientTab2 = await newTab(patient.context, team.patient);

    // The patient writes three messages from one tab.
    const N = 3;
    for (let i = 1; i <= N; i++) await send(patient.page, `Question ${i} about my dose`);

    // Both of the physician's tabs show N unread, on the dashboard row and in the inbox.
    for (const tab of [doctor.page, doctorTab2]) {
      await expect.poll(() => dashboardUnread(tab, team.patient), poll).toBe(String(N));
      await expect.poll(() => inboxUnread(tab, team.patient), poll).toBe(N);
    }
    await doctorTab2.screenshot({ path: path.join(ARTIFACTS, "presence-physician-unread.png") });

    // The physician reads the conversation in one tab: the other tab drops to 0 live, no reload.
    await inboxItem(doctor.page, team.patient).click();
    await doctor.page.getByTestId("message-list").getByText(`Question ${N} about my dose`).waitFor();
    await expect.poll(() => inboxUnread(doctor.page, team.patient), poll).toBe(0);
    await expect.poll(() => dashboardUnread(doctorTab2, team.patient), poll).toBe("0");
    await expect.poll(() => inboxUnread(doctorTab2, team.patient), poll).toBe(0);
    // …and it stays 0 after a reload.
    await doctorTab2.reload();
    await ready(doctorTab2, team.physician);
    await inboxItem(doctorTab2, team.patient).waitFor();
    expect(await dashboardUnread(doctorTab2, team.patient)).toBe("0");
    expect(await inboxUnread(doctorTab2, team.patient)).toBe(0);

    // The patient's side: both tabs elsewhere than the chat (the badge shows on the Chat tab),
    // after a network drop and back (socket rooms do not survive a reconnect).
    for (const tab of [patient.page, patientTab2]) {
      await section(tab, "Log").click();
      await tab.getByText("No weight logged yet").waitFor();
    }
    await patient.context.setOffline(true);
    await expect.poll(() => socketsOf(team.patient.id), poll).toBe(0);
    await patient.context.setOffline(false);
    await expect.poll(() => socketsOf(team.patient.id), { ...poll, timeout: 10_000 }).toBe(2);

    await send(doctor.page, "Noted. Stay on 0.25 mg this week.");
    for (const tab of [patient.page, patientTab2]) await expect.poll(() => chatTabUnread(tab), poll).toBe(1);
    await patientTab2.screenshot({ path: path.join(ARTIFACTS, "presence-patient-unread.png") });

    // Reading in one tab clears the badge in the other, live.
    await section(patient.page, "Chat").click();
    await patient.page.getByTestId("message-list").getByText("Stay on 0.25 mg").waitFor();
    await expect.poll(() => chatTabUnread(patientTab2), poll).toBe(0);
    await patientTab2.reload();
    await ready(patientTab2, team.patient);
    await section(patientTab2, "Log").click();
    expect(await chatTabUnread(patientTab2)).toBe(0);

    expect(pageErrors).toEqual([]);
    await patient.context.close();
    await doctor.context.close();
  }, 45_000);
});
