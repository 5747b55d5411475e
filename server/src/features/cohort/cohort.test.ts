import type { CohortResponse } from "@glp1/shared";
import { TRIAL_ARMS } from "@glp1/shared";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedCohort } from "../../../../scripts/src/cohort.js";
import { type Services, startServices } from "../../../../scripts/src/services.js";
import { loginAgent, makeUser, type Person, startTestApp, type TestApp, withDatabase } from "../../test/harness.js";

let app: TestApp;
let own: Services | null = null;
let ownDir: string | null = null;
let admin: Person;
let physicians: Person[];
let seeded: Awaited<ReturnType<typeof seedCohort>>;

/** A thousand patients take a while to write to (and scan on) the embedded FerretDB. */
const LONG = 900_000;

beforeAll(async () => {
  // 150k readings are a heavy load for the embedded FerretDB (one process, writes
  // serialized): this file gets a database server of its own, so the other test files
  // running beside it do not queue behind it. With MONGODB_URI set, that server is used.
  let mongoUri: string | undefined;
  if (!process.env.MONGODB_URI) {
    ownDir = mkdtempSync(path.join(tmpdir(), "glp1-cohort-"));
    own = await startServices({ dataDir: ownDir, redisUrl: inject("redisUrl") });
    mongoUri = withDatabase(own.mongoUri, `cohort_${Date.now()}`);
  }
  app = await startTestApp(mongoUri ? { MONGODB_URI: mongoUri } : {});
  admin = await makeUser(app, "admin");
  physicians = [await makeUser(app, "physician"), await makeUser(app, "physician")];
  seeded = await seedCohort(app.db, {
    patients: 1000,
    physicianIds: physicians.map((p) => p.id),
    passwordHash: "$2b$04$invalidinvalidinvalidinvalidinvalidinvalidinvalidinvali",
    emailFor: (i) => `cohort${i}@example.test`,
    nameFor: (i) => `Cohort Patient ${i}`,
    log: (l) => process.stdout.write(`${l}\n`),
  });
}, LONG);
afterAll(async () => {
  await app?.close();
  await own?.stop();
  if (ownDir) rmSync(ownDir, { recursive: true, force: true });
});

const at = (r: CohortResponse, arm: string, week: number) => r.arms.find((a) => a.arm === arm)?.weeks.find((w) => w.week === week);

describe("cohort figures of a seeded cohort of 1,000 (through GET /api/cohort)", () => {
  it(
    "reproduce STEP 1 (semaglutide 2.4 mg, week 68) and SURMOUNT-1 (tirzepatide 15 mg, week 72) within 1 percentage point",
    async () => {
      const agent = await loginAgent(app, admin);
      const t0 = Date.now();
      const res = await agent.get("/api/cohort");
      const firstMs = Date.now() - t0;
      expect(res.status).toBe(200);
      const body = res.body as CohortResponse;
      const sema = at(body, "semaglutide-2.4", 68)!;
      const tirz = at(body, "tirzepatide-15", 72)!;
      process.stdout.write(
        `cohort (seed ${seeded.seed}): semaglutide-2.4 wk68 ${sema.meanPctChange} % (n=${sema.n}), tirzepatide-15 wk72 ${tirz.meanPctChange} % (n=${tirz.n}); first call ${firstMs} ms\n`,
      );
      expect(Math.abs(sema.meanPctChange - TRIAL_ARMS["semaglutide-2.4"].meanPctChange)).toBeLessThanOrEqual(1);
      expect(Math.abs(tirz.meanPctChange - TRIAL_ARMS["tirzepatide-15"].meanPctChange)).toBeLessThanOrEqual(1);
      // Enough patients behind each figure for the check to mean something.
      expect(sema.n).toBeGreaterThan(200);
      expect(tirz.n).toBeGreaterThan(150);
      // The other arms follow their trial too (looser: fewer patients).
      expect(Math.abs(at(body, "tirzepatide-10", 72)!.meanPctChange - -19.5)).toBeLessThanOrEqual(2);
      expect(Math.abs(at(body, "tirzepatide-5", 72)!.meanPctChange - -15.0)).toBeLessThanOrEqual(2.5);
      // The curve plateaus: the last 8 weeks before the end point move less than the first 8.
      const semaWeeks = body.arms.find((a) => a.arm === "semaglutide-2.4")!.weeks;
      const pct = (w: number) => semaWeeks.find((x) => x.week === w)!.meanPctChange;
      expect(Math.abs(pct(68) - pct(60))).toBeLessThan(Math.abs(pct(8) - pct(0)) / 3);

      // A second call reads the per-patient summaries built by the first.
      const t1 = Date.now();
      const again = await agent.get("/api/cohort");
      process.stdout.write(`cohort second call ${Date.now() - t1} ms\n`);
      expect(at(again.body as CohortResponse, "semaglutide-2.4", 68)!.meanPctChange).toBe(sema.meanPctChange);
    },
    LONG,
  );

  it("a physician sees the figures of their own panel only", async () => {
    const agent = await loginAgent(app, physicians[0]!);
    const res = await agent.get("/api/cohort");
    expect(res.status).toBe(200);
    const total = (res.body as CohortResponse).arms.reduce((n, a) => n + a.patients, 0);
    const clinic = (await (await loginAgent(app, admin)).get("/api/cohort")).body as CohortResponse;
    expect(total).toBeLessThan(clinic.arms.reduce((n, a) => n + a.patients, 0));
    expect(total).toBeGreaterThan(300);
  }, LONG);

  it("support may not read cohort figures", async () => {
    const agent = await loginAgent(app, await makeUser(app, "support"));
    expect((await agent.get("/api/cohort")).status).toBe(403);
  });
});
