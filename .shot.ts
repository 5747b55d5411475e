import { chromium } from "playwright-core";
import { totpAt } from "./server/src/auth/totp.js";
const URL = "http://localhost:3222";
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
async function login(email: string, totp: boolean, vp = { width: 1440, height: 900 }) {
  const ctx = await b.newContext({ viewport: vp });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.log("pageerror", e.message));
  await page.goto(URL);
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-password").fill("demo-clinic-2026");
  await page.getByTestId("login-submit").click();
  if (totp) {
    await page.getByTestId("login-totp").fill(totpAt("JBSWY3DPEHPK3PXP"));
    await page.getByTestId("login-submit").click();
  }
  return { ctx, page };
}
const phys = await login("physician1@demo.test", true);
await phys.page.getByTestId("dashboard-row").first().waitFor();
await phys.page.waitForTimeout(1500);
// patient1 logs glucose 50 via API
const pat = await login("patient1@demo.test", false);
await pat.page.waitForTimeout(1500);
const r = await pat.page.evaluate(`fetch("/api/metrics", {method:"POST", headers:{"content-type":"application/json"}, body: JSON.stringify({readings:[{kind:"glucose", value: 50, unit:"mg/dL", observedAt: new Date().toISOString()}]})}).then(r => r.status)`);
console.log("metrics", r);
await phys.page.waitForTimeout(4000);
await phys.page.screenshot({ path: "/tmp/shots/dash-raised.png" });
// open patient1 record
await phys.page.locator("[data-patient-id]").filter({ hasText: "Maria Garcia" }).getByTestId("dashboard-open").click();
await phys.page.waitForTimeout(2500);
await phys.page.screenshot({ path: "/tmp/shots/record.png" });
await phys.page.getByTestId("dose-timeline").scrollIntoViewIfNeeded();
await phys.page.waitForTimeout(500);
await phys.page.screenshot({ path: "/tmp/shots/record-dose.png" });
// patient chat view
await pat.page.screenshot({ path: "/tmp/shots/patient.png" });
await b.close();
