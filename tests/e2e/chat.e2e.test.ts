import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/src/services.js";
import { AFTER_HOURS_REPLY, SYSTEM_SENDER_ID } from "@glp1/shared";
import { connectSocket, emitAck, loginAgent, makeCareTeam, makeUser, startTestApp, type TestApp } from "../../server/src/test/harness.js";
import { ARTIFACTS, launchBrowser } from "./browser.js";

const DIST = path.resolve(import.meta.dirname, "..", "..", "client", "dist");

let app: TestApp;
let browser: Browser;

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

async function signIn(page: Page, email: string, password: string) {
  await page.goto(app.url);
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
}

describe("two people chatting in real browsers", () => {
  it("a patient and their physician exchange messages live; chat text stays text", async () => {
    const team = await makeCareTeam(app);
    const patientPage = await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage();
    const physicianPage = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors: string[] = [];
    for (const p of [patientPage, physicianPage]) p.on("pageerror", (e) => errors.push(e.message));

    await signIn(patientPage, team.patient.email, "a-wrong-password");
    await expect.poll(() => patientPage.getByTestId("login-error").textContent()).toMatch(/incorrect/i);
    await patientPage.screenshot({ path: path.join(ARTIFACTS, "login-error.png") });

    await signIn(patientPage, team.patient.email, team.patient.password);
    await signIn(physicianPage, team.physician.email, team.physician.password);
    await patientPage.getByTestId("composer-input").waitFor();
    await physicianPage.getByTestId("conversation-item").first().waitFor();

    await patientPage.getByTestId("composer-input").fill("Hello doctor, I took my 0.25 mg dose today.");
    await patientPage.getByTestId("composer-send").click();
    await expect.poll(() => patientPage.locator('[data-testid="message"][data-pending="true"]').count(), { timeout: 5000 }).toBe(0);

    // The physician's list shows the unread message before the conversation is opened.
    await expect.poll(() => physicianPage.getByTestId("unread-badge").first().textContent(), { timeout: 5000 }).toBe("1");
    await physicianPage.getByTestId("conversation-item").first().click();
    await expect
      .poll(() => physicianPage.getByTestId("message-list").textContent(), { timeout: 5000 })
      .toContain("I took my 0.25 mg dose today.");

    const html = `<img src=x onerror="document.title='pwned'"> <b>bold?</b> javascript:alert(1)`;
    await physicianPage.getByTestId("composer-input").fill(html);
    await physicianPage.getByTestId("composer-input").press("Enter");
    await expect.poll(() => patientPage.getByTestId("message-list").textContent(), { timeout: 5000 }).toContain("<b>bold?</b>");
    expect(await patientPage.locator('[data-testid="message-list"] img').count()).toBe(0);
    expect(await patientPage.locator('[data-testid="message-list"] b').count()).toBe(0);
    expect(await patientPage.locator('[data-testid="message-list"] a').count()).toBe(0);
    expect(await patientPage.title()).not.toBe("pwned");

    await patientPage.screenshot({ path: path.join(ARTIFACTS, "patient-chat.png") });
    await physicianPage.screenshot({ path: path.join(ARTIFACTS, "physician-chat.png") });
    expect(errors).toEqual([]);

    // Stored once each, in the database.
    expect(await app.db.models.messages.countDocuments({ conversationId: team.conversationId })).toBe(2);

    await physicianPage.getByTestId("signout").click();
    await physicianPage.getByTestId("login-email").waitFor();
    await physicianPage.context().close();
    await patientPage.context().close();
  });

  it("labels support's and the clinic's automatic messages as the clinic's, never as the physician's or the patient's", async () => {
    const team = await makeCareTeam(app);
    const patientAgent = await loginAgent(app, team.patient);
    const s = await connectSocket(app, patientAgent.cookie);
    const sent = await emitAck(s, "chat:send", { conversationId: team.conversationId, body: "Could someone call me about billing?", clientId: "label-patient-1" });
    s.close();
    expect(sent).toMatchObject({ ok: true });
    const support = await loginAgent(app, await makeUser(app, "support"));
    expect((await support.post(`/api/triage/${team.conversationId}/respond`, { responseId: "appointment" })).status).toBe(200);
    await app.db.models.messages.create({ conversationId: team.conversationId, senderId: SYSTEM_SENDER_ID, body: AFTER_HOURS_REPLY, clientId: "label-system" });

    for (const [who, open] of [
      [team.patient, false],
      [team.physician, true],
    ] as const) {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await signIn(page, who.email, who.password);
      if (open) await page.getByTestId("conversation-item").first().click();
      await expect.poll(() => page.getByTestId("message").count(), { timeout: 5000 }).toBe(3);
      const rows = await page.getByTestId("message").evaluateAll((els) =>
        els.map((el) => ({ sender: el.querySelector('[data-testid="message-sender"]')?.textContent ?? null, mine: el.classList.contains("mine") })),
      );
      expect(rows).toEqual([
        { sender: null, mine: who.role === "patient" },
        { sender: "Clinic support team", mine: false },
        { sender: "GLP-1 Care · automatic reply", mine: false },
      ]);
      await page.screenshot({ path: path.join(ARTIFACTS, `clinic-labels-${who.role}.png`) });
      await page.context().close();
    }
  });

  it("shows the idle warning before logoff and signs out when the session ends", async () => {
    const port = await freePort();
    const short = await startTestApp({ PORT: String(port), CLIENT_DIST: DIST, ALLOWED_ORIGINS: `http://127.0.0.1:${port}`, SESSION_IDLE_MINUTES: String(130 / 60) });
    try {
      const team = await makeCareTeam(short);
      const page = await (await browser.newContext()).newPage();
      await page.goto(short.url);
      await page.getByTestId("login-email").fill(team.patient.email);
      await page.getByTestId("login-password").fill(team.patient.password);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("composer-input").waitFor();
      // With a 130 s idle timeout the warning (2 minutes before) shows within ~10 s.
      await page.getByTestId("idle-warning").waitFor({ timeout: 20_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, "idle-warning.png") });
      await page.getByTestId("idle-stay").click();
      await page.getByTestId("idle-warning").waitFor({ state: "hidden", timeout: 5000 });
      // Ending the session server-side (as expiry does) brings the login page back.
      await short.redis.del(...(await short.redis.keys(`${short.config.namespace}:sess:*`)).filter((k) => !k.includes(":user:")));
      await page.getByTestId("login-email").waitFor({ timeout: 10_000 });
      await page.context().close();
    } finally {
      await short.close();
    }
  }, 60_000);
});
