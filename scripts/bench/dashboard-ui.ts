/**
 * `npm run bench:ui`: is the physician dashboard smooth with 500 patients in the panel?
 *
 * Seeds the demo clinic with 1,000 patients (physician1 cares for 500), serves the built
 * client, signs physician1 in through the login page in Debian's chromium, and measures in
 * the page, while the table is on screen:
 *   - load: from pressing "Sign in" to 500 rows known to the table (aria-rowcount);
 *   - scroll: frame intervals (requestAnimationFrame) while the table is scrolled top to
 *     bottom and back, and the long tasks (> 50 ms on the main thread) during it;
 *   - burst: every one of the 500 patients reports a weight at once (through the metrics
 *     service, so the dashboard feed coalesces them as it does for live patients): time
 *     until the last row shows its new weight, frame intervals and long tasks meanwhile.
 * Prints a table with a pass/fail per figure and writes JSON beside the other results.
 * Options: `--patients=N` (panel size is N/2; default 1000), `--runs=N` (default 3).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { chromium } from "playwright-core";
import { openDatabase, startApp } from "../../server/src/app.js";
import { totpAt } from "../../server/src/auth/totp.js";
import { buildConfig } from "../../server/src/config/config.js";
import { createLogger } from "../../server/src/infra/logger.js";
import { warmPatientStats } from "../src/cohort.js";
import { DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET, seedDemoClinic } from "../src/demo-clinic.js";
import { freePort, startServices } from "../src/services.js";
import { median } from "./lib.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const DIST = path.join(ROOT, "client", "dist");
const arg = (name: string, dflt: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  const n = hit ? Number(hit.split("=")[1]) : dflt;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number`);
  return n;
};
const PATIENTS = arg("patients", 1000);
const RUNS = arg("runs", 3);
const PANEL = Math.ceil(PATIENTS / 2);

/** Smooth = what a person sees as smooth on a 60 Hz screen: frames on time, no stalls. */
const LIMITS = { loadMs: 3000, frameP95Ms: 34, longestTaskMs: 200, burstMs: 5000 };

// In-page code (browser JavaScript as source: this project's Node typecheck has no DOM types).
const WATCH = `(() => {
  window.__frames = []; window.__long = [];
  let last = performance.now(), on = true;
  const tick = (t) => { window.__frames.push(t - last); last = t; if (on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); });
  po.observe({ type: "longtask", buffered: false });
  window.__stopWatch = () => { on = false; po.disconnect(); return { frames: window.__frames.slice(1), long: window.__long }; };
})()`;

/** Scroll the table to the bottom and back at a steady pace (as a wheel or trackpad would). */
const SCROLL = `(async () => {
  const el = document.querySelector('[data-testid="dashboard-table"]');
  const step = 60, max = el.scrollHeight - el.clientHeight;
  for (let y = 0; y <= max; y += step) { el.scrollTop = y; await new Promise((r) => requestAnimationFrame(r)); }
  for (let y = max; y >= 0; y -= step) { el.scrollTop = y; await new Promise((r) => requestAnimationFrame(r)); }
  return max;
})()`;

interface Watch {
  frames: number[];
  long: number[];
}
const p = (v: number[], q: number) => (v.length ? [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.ceil((q / 100) * v.length) - 1)]! : NaN);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "glp1-bench-ui-"));
  const services = await startServices({ dataDir, log: (l) => process.stdout.write(`[services] ${l}\n`) });
  const port = await freePort();
  const config = buildConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: String(port),
    MONGODB_URI: services.mongoUri,
    REDIS_URL: services.redisUrl,
    DATA_DIR: dataDir,
    SESSION_SECRET: randomBytes(32).toString("hex"),
    PHI_MASTER_KEY: randomBytes(32).toString("base64"),
    BCRYPT_COST: "10",
    CLIENT_DIST: DIST,
    ALLOWED_ORIGINS: `http://127.0.0.1:${port}`,
    CLINIC_HOURS: "00:00-24:00",
    CLINIC_DAYS: "0,1,2,3,4,5,6",
    LOG_LEVEL: "warn",
  });
  const runs: Array<{ loadMs: number; scroll: Watch & { px: number }; burst: Watch & { ms: number; updated: number } }> = [];
  let app: Awaited<ReturnType<typeof startApp>> | null = null;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const t0 = Date.now();
    const db = await openDatabase(config);
    await seedDemoClinic(db, config, { patients: PATIENTS, password: DEFAULT_DEMO_PASSWORD, totpSecret: DEFAULT_DEMO_TOTP_SECRET });
    await warmPatientStats(db);
    await db.conn.close();
    process.stdout.write(`seeded ${PATIENTS} patients (${PANEL} in physician1's panel) in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    app = await startApp(config, { logger: createLogger("warn") });
    const patientIds = (await app.db.models.careTeams.find({}, { patientId: 1, physicianIds: 1 }).lean())
      .filter((t) => t.physicianIds.length > 0)
      .map((t) => ({ patientId: String(t.patientId), physicianId: String(t.physicianIds[0]) }));
    const physician1 = await app.db.models.users.findOne({ emailIndex: app.services.auth.emailIndex("physician1@demo.test") }, { _id: 1 }).lean();
    const panel = patientIds.filter((t) => t.physicianId === String(physician1!._id)).map((t) => t.patientId);

    let lastStep = -1;
    for (let run = 1; run <= RUNS; run++) {
      // A code works once: wait for the next 30-second step between sign-ins.
      while (Math.floor(Date.now() / 30_000) === lastStep) await new Promise((r) => setTimeout(r, 500));
      lastStep = Math.floor(Date.now() / 30_000);
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(app.url);
      await page.getByTestId("login-email").fill("physician1@demo.test");
      await page.getByTestId("login-password").fill(DEFAULT_DEMO_PASSWORD);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("login-totp").fill(totpAt(DEFAULT_DEMO_TOTP_SECRET));
      const signIn = Date.now();
      await page.getByTestId("login-submit").click();
      await page.waitForFunction(
        (n) => Number(document.querySelector('[role="table"]')?.getAttribute("aria-rowcount") ?? 0) > n && document.querySelectorAll('[data-testid="dashboard-row"]').length > 0,
        PANEL,
        { timeout: 60_000 },
      );
      const loadMs = Date.now() - signIn;
      await page.waitForTimeout(1000);

      await page.evaluate(WATCH);
      const px = (await page.evaluate(SCROLL)) as number;
      const scroll = { ...((await page.evaluate("window.__stopWatch()")) as Watch), px };

      // Burst: every patient of the panel reports a weight at once (0.4 kg under their latest,
      // a step no red-flag rule reacts to); the rows on screen must show it.
      const latest = (await page.evaluate(`fetch("/api/dashboard?limit=5000").then((r) => r.json())`)) as {
        patients: Array<{ patientId: string; latestWeightKg: number | null }>;
      };
      const next = new Map(latest.patients.map((r) => [r.patientId, Math.round(((r.latestWeightKg ?? 90) - 0.4) * 10) / 10]));
      await page.evaluate(WATCH);
      const burstStart = Date.now();
      const observedAt = new Date().toISOString();
      await Promise.all(
        panel.map((patientId) =>
          app!.services.metrics.report(
            { userId: patientId, role: "patient", sessionId: "bench-ui" },
            { readings: [{ kind: "weight", value: next.get(patientId) ?? 90, unit: "kg", observedAt }] },
            { resource: "reading" },
          ),
        ),
      );
      await page.waitForFunction(
        (expected) => {
          const rows = [...document.querySelectorAll('[data-testid="dashboard-row"]')];
          return rows.length > 0 && rows.every((r) => (r.textContent ?? "").includes(`${expected[r.getAttribute("data-patient-id") ?? ""]} kg`));
        },
        Object.fromEntries(next),
        { timeout: 60_000, polling: 50 },
      );
      const burstMs = Date.now() - burstStart;
      const burst = { ...((await page.evaluate("window.__stopWatch()")) as Watch), ms: burstMs, updated: panel.length };
      if (run === 1) {
        const out = path.join(ROOT, ".test-artifacts");
        mkdirSync(out, { recursive: true });
        await page.screenshot({ path: path.join(out, "bench-ui-dashboard-500.png") });
      }
      await context.close();
      runs.push({ loadMs, scroll, burst });
      process.stdout.write(
        `run ${run}: load ${loadMs} ms; scroll ${scroll.frames.length} frames p95 ${p(scroll.frames, 95).toFixed(1)} ms, longest task ${Math.max(0, ...scroll.long).toFixed(0)} ms; ` +
          `burst of ${panel.length} readings shown in ${burstMs} ms, frame p95 ${p(burst.frames, 95).toFixed(1)} ms, longest task ${Math.max(0, ...burst.long).toFixed(0)} ms\n`,
      );
    }
  } finally {
    await browser.close();
    await app?.close();
    await services.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const figures = {
    loadMs: median(runs.map((r) => r.loadMs)),
    scrollFrameP50Ms: median(runs.map((r) => p(r.scroll.frames, 50))),
    scrollFrameP95Ms: median(runs.map((r) => p(r.scroll.frames, 95))),
    scrollLongestTaskMs: Math.max(0, ...runs.flatMap((r) => r.scroll.long)),
    burstMs: median(runs.map((r) => r.burst.ms)),
    burstFrameP95Ms: median(runs.map((r) => p(r.burst.frames, 95))),
    burstLongestTaskMs: Math.max(0, ...runs.flatMap((r) => r.burst.long)),
  };
  const rows: Array<[string, number, number]> = [
    ["sign-in to 500 rows loaded (ms, median)", figures.loadMs, LIMITS.loadMs],
    ["scroll frame interval p95 (ms)", figures.scrollFrameP95Ms, LIMITS.frameP95Ms],
    ["scroll longest main-thread task (ms)", figures.scrollLongestTaskMs, LIMITS.longestTaskMs],
    [`burst: ${PANEL} readings until every visible row shows them (ms)`, figures.burstMs, LIMITS.burstMs],
    ["burst frame interval p95 (ms)", figures.burstFrameP95Ms, LIMITS.frameP95Ms],
    ["burst longest main-thread task (ms)", figures.burstLongestTaskMs, LIMITS.longestTaskMs],
  ];
  process.stdout.write(`\nDashboard with ${PANEL} patients, ${RUNS} runs, chromium headless 1440×900\n`);
  for (const [name, v, limit] of rows) process.stdout.write(`  ${name.padEnd(64)} ${v.toFixed(1).padStart(8)}  ≤ ${String(limit).padStart(5)}  ${v <= limit ? "PASS" : "FAIL"}\n`);
  const dir = path.join(ROOT, "scripts", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}-ui.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), panel: PANEL, runs: RUNS, limits: LIMITS, figures, raw: runs.map((r) => ({ loadMs: r.loadMs, burstMs: r.burst.ms, scrollFrames: r.scroll.frames.length, scrollLong: r.scroll.long, burstLong: r.burst.long })) }, null, 2));
  process.stdout.write(`results: ${path.relative(ROOT, file)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:ui failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
