import { randomBytes } from "node:crypto";
import {
  bmiOf,
  CONTRAINDICATION_CODES,
  type EligibilityReason,
  evaluateEligibility,
  INTAKE_QUESTIONNAIRE_VERSION,
  type IntakeAnswers,
  intakeSubmissionSchema,
  WEIGHT_RELATED_CONDITIONS,
} from "@glp1/shared";
import { Types } from "mongoose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEALED_PREFIX } from "../../infra/crypto/fieldCipher.js";
import { auditSettled, loginAgent, makeCareTeam, makeUser, startTestApp, type TestApp } from "../../test/harness.js";

/** Height 200 cm, so weight = 4 × BMI exactly. */
const answersWithBmi = (bmi: number, over: Partial<IntakeAnswers> = {}): IntakeAnswers => ({
  heightCm: 200,
  weightKg: bmi * 4,
  conditions: [],
  contraindications: [],
  medications: [],
  ...over,
});

describe("evaluateEligibility (unit)", () => {
  const asOf = new Date("2026-12-01T12:00:00Z");
  type Row = [name: string, answers: IntakeAnswers, status: string, reasons: EligibilityReason[]];
  const rows: Row[] = [
    ["BMI 30 without a condition", answersWithBmi(30), "eligible", []],
    ["BMI 27 with hypertension", answersWithBmi(27, { conditions: ["hypertension"] }), "eligible", []],
    ...WEIGHT_RELATED_CONDITIONS.map((c): Row => [`BMI 27 with ${c}`, answersWithBmi(27, { conditions: [c] }), "eligible", []]),
    ["BMI 27 without a condition", answersWithBmi(27), "not_eligible", ["bmi_below_threshold"]],
    ["BMI 29.9 without a condition (boundary)", answersWithBmi(29.9), "not_eligible", ["bmi_below_threshold"]],
    ["BMI 29.9 with sleep apnea", answersWithBmi(29.9, { conditions: ["sleep_apnea"] }), "eligible", []],
    ["BMI 26.9 with hypertension (boundary)", answersWithBmi(26.9, { conditions: ["hypertension"] }), "not_eligible", ["bmi_below_threshold"]],
    [
      "BMI 27 with only a soft-flag condition (not weight-related)",
      answersWithBmi(27, { conditions: ["kidney_disease"] }),
      "not_eligible",
      ["bmi_below_threshold", "kidney_disease"],
    ],
    ...CONTRAINDICATION_CODES.map((c): Row => [`hard stop ${c}`, answersWithBmi(35, { contraindications: [c] }), "not_eligible", [c]]),
    ["breastfeeding answered in the pregnancy item", answersWithBmi(35, { pregnancyStatus: ["breastfeeding"] }), "not_eligible", ["pregnancy"]],
    ["planned pregnancy", answersWithBmi(35, { pregnancyStatus: ["planning_pregnancy"] }), "not_eligible", ["pregnancy"]],
    ["suicidal thoughts answered yes", answersWithBmi(35, { suicidalThoughts: true }), "not_eligible", ["suicidal"]],
    ["a past suicide attempt", answersWithBmi(35, { suicideAttempt: true }), "not_eligible", ["suicidal"]],
    [
      "suicidal in both places counts once",
      answersWithBmi(35, { contraindications: ["suicidal"], suicidalThoughts: true }),
      "not_eligible",
      ["suicidal"],
    ],
    ["insulin", answersWithBmi(35, { medications: ["insulin"] }), "needs_review", ["insulin_or_sulfonylurea"]],
    ["sulfonylurea", answersWithBmi(35, { medications: ["sulfonylurea"] }), "needs_review", ["insulin_or_sulfonylurea"]],
    [
      "oral contraceptive with tirzepatide",
      answersWithBmi(35, { medications: ["oral_contraceptive"], drug: "tirzepatide" }),
      "needs_review",
      ["oral_contraceptive_with_tirzepatide"],
    ],
    [
      "oral contraceptive with no drug chosen yet",
      answersWithBmi(35, { medications: ["oral_contraceptive"] }),
      "needs_review",
      ["oral_contraceptive_with_tirzepatide"],
    ],
    ["oral contraceptive with semaglutide", answersWithBmi(35, { medications: ["oral_contraceptive"], drug: "semaglutide" }), "eligible", []],
    ["other medication", answersWithBmi(35, { medications: ["other"], otherMedications: "insulin glargine 20 units" }), "eligible", []],
    ["diabetic retinopathy", answersWithBmi(35, { conditions: ["diabetic_retinopathy"] }), "needs_review", ["diabetic_retinopathy"]],
    ["kidney disease", answersWithBmi(35, { conditions: ["kidney_disease"] }), "needs_review", ["kidney_disease"]],
    ["gallbladder disease", answersWithBmi(35, { conditions: ["gallbladder_disease"] }), "needs_review", ["gallbladder_disease"]],
    ["depression (condition)", answersWithBmi(35, { conditions: ["depression"] }), "needs_review", ["depression"]],
    [
      "depression (PHQ-2 total 3, positive)",
      answersWithBmi(35, { phq2Interest: "several_days", phq2Mood: "more_than_half" }),
      "needs_review",
      ["depression"],
    ],
    ["PHQ-2 total 2 (negative)", answersWithBmi(35, { phq2Interest: "several_days", phq2Mood: "several_days" }), "eligible", []],
    ["planned surgery", answersWithBmi(35, { plannedSurgery: true }), "needs_review", ["planned_surgery"]],
    ["under 18", answersWithBmi(35, { dateOfBirth: "2009-12-02" }), "needs_review", ["age_under_18"]],
    ["18 today", answersWithBmi(35, { dateOfBirth: "2008-12-01" }), "eligible", []],
    [
      "several soft flags are each named",
      answersWithBmi(31, { medications: ["insulin"], conditions: ["type2_diabetes", "diabetic_retinopathy"], plannedSurgery: true }),
      "needs_review",
      ["insulin_or_sulfonylurea", "diabetic_retinopathy", "planned_surgery"],
    ],
    [
      "hard stops, low BMI and soft flags together: not eligible, every reason named",
      answersWithBmi(26, { contraindications: ["pancreatitis", "mtc_men2"], conditions: ["gallbladder_disease"], suicideAttempt: true }),
      "not_eligible",
      ["mtc_men2", "pancreatitis", "suicidal", "bmi_below_threshold", "gallbladder_disease"],
    ],
  ];

  it.each(rows)("%s → %s %j", (_name, answers, status, reasons) => {
    const r = evaluateEligibility(answers, asOf);
    expect(r.status).toBe(status);
    expect(r.reasons).toEqual(reasons);
  });

  it("computes BMI to one decimal", () => {
    expect(bmiOf(170, 95)).toBe(32.9);
    expect(bmiOf(200, 119.6)).toBe(29.9);
    expect(evaluateEligibility(answersWithBmi(30)).bmi).toBe(30);
  });

  it("schema: accepts the contract's minimal body and refuses bad shapes", () => {
    expect(intakeSubmissionSchema.safeParse({ answers: answersWithBmi(30) }).success).toBe(true);
    const bad: unknown[] = [
      { answers: { ...answersWithBmi(30), favouriteColour: "blue" } },
      { answers: answersWithBmi(30), patientId: "0".repeat(24) },
      { answers: { ...answersWithBmi(30), heightCm: 99 } },
      { answers: { ...answersWithBmi(30), heightCm: 251 } },
      { answers: { ...answersWithBmi(30), weightKg: 401 } },
      { answers: { ...answersWithBmi(30), weightKg: "120" } },
      { answers: { ...answersWithBmi(30), weightKg: { $gt: 0 } } },
      { answers: { ...answersWithBmi(30), conditions: ["hypertension", "hypertension"] } },
      { answers: { ...answersWithBmi(30), contraindications: ["asthma"] } },
      { answers: { ...answersWithBmi(30), dateOfBirth: "2999-01-01" } },
      { answers: { ...answersWithBmi(30), dateOfBirth: "2000-02-30" } },
      { answers: { heightCm: 180, weightKg: 100, conditions: [], contraindications: [] } },
    ];
    for (const b of bad) expect(intakeSubmissionSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });
});

describe("intake over REST", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  const submission = (over: Partial<IntakeAnswers> = {}) => ({ answers: { ...answersWithBmi(32), ...over } });

  it("serves the questionnaire to anyone signed in, and only to them", async () => {
    const { physician } = await makeCareTeam(app);
    const res = await (await loginAgent(app, physician)).get("/api/intake/questionnaire");
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(INTAKE_QUESTIONNAIRE_VERSION);
    const ids = res.body.items.map((i: { id: string }) => i.id);
    expect(ids).toEqual(expect.arrayContaining(["heightCm", "weightKg", "conditions", "contraindications", "medications", "dateOfBirth", "drug"]));
    const contra = res.body.items.find((i: { id: string }) => i.id === "contraindications");
    expect(contra.options.map((o: { code: string }) => o.code)).toEqual([...CONTRAINDICATION_CODES]);
    const anon = await fetch(`${app.url}/api/intake/questionnaire`);
    expect(anon.status).toBe(401);
  });

  it("stores a patient's submission, answers 201 with the result, opens a review task and audits it", async () => {
    const { patient, physician } = await makeCareTeam(app);
    const agent = await loginAgent(app, patient);
    const res = await agent.post("/api/intake", submission({ medications: ["insulin"], conditions: ["type2_diabetes"] }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      intake: {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        version: 1,
        questionnaireVersion: INTAKE_QUESTIONNAIRE_VERSION,
        createdAt: expect.any(String),
        bmi: 32,
        eligibility: { status: "needs_review", reasons: ["insulin_or_sulfonylurea"] },
      },
      instructions: [],
    });
    const id = res.body.intake.id as string;
    const task = await app.db.models.tasks.findOne({ kind: "intake_review", refId: id }).lean();
    expect(task).toMatchObject({ status: "open" });
    expect(String(task!.patientId)).toBe(patient.id);
    await auditSettled(app);
    const entry = await app.db.models.audit.findOne({ action: "intake:submit", resourceId: id }).lean();
    expect(entry).toMatchObject({ outcome: "success", resource: "intake", role: "patient" });
    expect(String(entry!.patientId)).toBe(patient.id);
    // The care team reads it, answers included.
    const read = await (await loginAgent(app, physician)).get(`/api/patients/${patient.id}/intake`);
    expect(read.status).toBe(200);
    expect(read.body.intake).toMatchObject({ id, version: 1, patientId: patient.id, answers: { medications: ["insulin"] } });
  });

  it("keeps every version (1, 2, …) and serves the latest with the list", async () => {
    const { patient } = await makeCareTeam(app);
    const agent = await loginAgent(app, patient);
    const first = await agent.post("/api/intake", submission({ weightKg: 130 }));
    const second = await agent.post("/api/intake", submission({ weightKg: 100 }));
    expect([first.body.intake.version, second.body.intake.version]).toEqual([1, 2]);
    expect(second.body.intake.eligibility).toEqual({ status: "not_eligible", reasons: ["bmi_below_threshold"] });

    const latest = await agent.get(`/api/patients/${patient.id}/intake`);
    expect(latest.status).toBe(200);
    expect(latest.body.intake).toMatchObject({ version: 2, bmi: 25, answers: { weightKg: 100 } });
    expect(latest.body.versions).toEqual([
      { id: second.body.intake.id, version: 2, createdAt: expect.any(String), status: "not_eligible" },
      { id: first.body.intake.id, version: 1, createdAt: expect.any(String), status: "eligible" },
    ]);
    const v1 = await agent.get(`/api/patients/${patient.id}/intake/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.intake).toMatchObject({ id: first.body.intake.id, version: 1, bmi: 32.5, answers: { weightKg: 130 } });
    expect((await agent.get(`/api/patients/${patient.id}/intake/3`)).status).toBe(404);
    expect((await agent.get(`/api/patients/${patient.id}/intake/0`)).status).toBe(400);
    expect(await app.db.models.intakes.countDocuments({ patientId: patient.id })).toBe(2);
  });

  it("gives racing submissions distinct version numbers", async () => {
    const { patient } = await makeCareTeam(app);
    const agent = await loginAgent(app, patient);
    const results = await Promise.all(Array.from({ length: 4 }, () => agent.post("/api/intake", submission())));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect(results.map((r) => r.body.intake.version as number).sort()).toEqual([1, 2, 3, 4]);
  });

  it("answers a patient with no intake yet with an empty result", async () => {
    const { patient } = await makeCareTeam(app);
    const res = await (await loginAgent(app, patient)).get(`/api/patients/${patient.id}/intake`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ intake: null, versions: [] });
    expect((await (await loginAgent(app, patient)).get("/api/patients/not-an-id/intake")).status).toBe(400);
    expect((await fetch(`${app.url}/api/patients/${patient.id}/intake`)).status).toBe(401);
  });

  it("refuses another patient, a physician outside the care team, support and admin; audits each denial", async () => {
    const { patient } = await makeCareTeam(app);
    await (await loginAgent(app, patient)).post("/api/intake", submission({ otherMedications: "metformin 500 mg" }));
    const other = await makeCareTeam(app);
    const strangers = [other.patient, other.physician, await makeUser(app, "support"), await makeUser(app, "admin")];
    for (const who of strangers) {
      const agent = await loginAgent(app, who);
      const res = await agent.get(`/api/patients/${patient.id}/intake`);
      expect(res.status, who.role).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain("metformin");
      expect((await agent.get(`/api/patients/${patient.id}/intake/1`)).status).toBe(403);
    }
    await auditSettled(app);
    for (const who of strangers) {
      const denied = await app.db.models.audit.find({ userId: who.id, action: "intake:read", outcome: "denied" }).lean();
      expect(denied, who.role).toHaveLength(2);
      expect(String(denied[0]!.patientId)).toBe(patient.id);
    }
  });

  it("refuses a submission from a physician, support or admin (403, audited as denied), storing nothing", async () => {
    const { physician } = await makeCareTeam(app);
    for (const who of [physician, await makeUser(app, "support"), await makeUser(app, "admin")]) {
      const before = await app.db.models.intakes.estimatedDocumentCount();
      const res = await (await loginAgent(app, who)).post("/api/intake", submission());
      expect(res.status, who.role).toBe(403);
      expect(res.body.error.code).toBe("FORBIDDEN");
      expect(await app.db.models.intakes.estimatedDocumentCount()).toBe(before);
      expect(await app.db.models.intakes.countDocuments({ patientId: who.id })).toBe(0);
      await auditSettled(app);
      expect(await app.db.models.audit.countDocuments({ userId: who.id, action: "intake:submit", outcome: "denied" })).toBe(1);
    }
  });

  it.each([
    ["an operator object", { answers: { ...answersWithBmi(32), weightKg: { $gt: 0 } } }, "answers.weightKg"],
    ["an operator object as the answers", { answers: { $where: "1" } }, "answers"],
    ["a patientId in the body", { ...submission(), patientId: "0".repeat(24) }, "(root)"],
    ["a client-computed eligibility", { ...submission(), eligibility: { status: "eligible" } }, "(root)"],
    ["an unknown answer id", { answers: { ...answersWithBmi(32), favouriteColour: "blue" } }, "answers"],
    ["an oversize free-text answer", { answers: { ...answersWithBmi(32), otherMedications: "x".repeat(1001) } }, "answers.otherMedications"],
    ["a height below 100 cm", { answers: { ...answersWithBmi(32), heightCm: 99 } }, "answers.heightCm"],
    ["a weight above 400 kg", { answers: { ...answersWithBmi(32), weightKg: 401 } }, "answers.weightKg"],
    ["a number sent as a string", { answers: { ...answersWithBmi(32), heightCm: "200" } }, "answers.heightCm"],
    ["an unknown contraindication code", { answers: { ...answersWithBmi(32), contraindications: ["asthma"] } }, "answers.contraindications.0"],
    ["a missing required answer", { answers: { heightCm: 200, weightKg: 120, conditions: [], contraindications: [] } }, "answers.medications"],
    ["no answers at all", {}, "answers"],
  ])("answers 400 VALIDATION_FAILED to %s, naming the field, storing nothing", async (_name, body, field) => {
    const { patient } = await makeCareTeam(app);
    const res = await (await loginAgent(app, patient)).post("/api/intake", body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.fields).toContain(field);
    expect(await app.db.models.intakes.countDocuments({ patientId: patient.id })).toBe(0);
    expect(await app.db.models.tasks.countDocuments({ patientId: patient.id })).toBe(0);
  });

  it("refuses a body over the size limit with 413, storing nothing", async () => {
    const { patient } = await makeCareTeam(app);
    const res = await (await loginAgent(app, patient)).post("/api/intake", { answers: { ...answersWithBmi(32), otherMedications: "x".repeat(40_000) } });
    expect(res.status).toBe(413);
    expect(await app.db.models.intakes.countDocuments({ patientId: patient.id })).toBe(0);
  });

  it("seals answers, BMI and reasons at rest; only the status is in clear", async () => {
    const { patient } = await makeCareTeam(app);
    const marker = `semaglutide-compounded-${randomBytes(4).toString("hex")}`;
    const res = await (await loginAgent(app, patient)).post(
      "/api/intake",
      submission({ otherMedications: marker, contraindications: ["pregnancy"], weightKg: 123.4 }),
    );
    expect(res.status).toBe(201);
    const raw = await app.db.conn.db!.collection("intakes").findOne({ _id: new Types.ObjectId(res.body.intake.id as string) });
    expect(raw).not.toBeNull();
    const text = JSON.stringify(raw);
    for (const secret of [marker, "pregnancy", "123.4", String(res.body.intake.bmi)]) expect(text).not.toContain(secret);
    expect(String(raw!.answers).startsWith(SEALED_PREFIX)).toBe(true);
    expect(String(raw!.assessment).startsWith(SEALED_PREFIX)).toBe(true);
    expect(raw!.status).toBe("not_eligible");
    expect(Object.keys(raw!).sort()).toEqual(["_id", "answers", "assessment", "createdAt", "patientId", "questionnaireVersion", "status", "version"]);
    // Read back through the model, in clear.
    const doc = await app.db.models.intakes.findById(res.body.intake.id);
    expect(JSON.parse(doc!.answers).otherMedications).toBe(marker);
  });

  it("raises an urgent suicidal-ideation alert for the care team and returns the 988 instructions", async () => {
    const { patient } = await makeCareTeam(app);
    const res = await (await loginAgent(app, patient)).post("/api/intake", submission({ suicidalThoughts: true }));
    expect(res.status).toBe(201);
    expect(res.body.intake.eligibility).toEqual({ status: "not_eligible", reasons: ["suicidal"] });
    expect(res.body.instructions).toEqual([{ kind: "suicidal_ideation", severity: "urgent", instructions: expect.stringContaining("988") }]);
    const alerts = await app.db.models.alerts.find({ patientId: patient.id }).lean();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: "suicidal_ideation", severity: "urgent", source: "intake", status: "open" });
    expect(String(alerts[0]!.sourceId)).toBe(res.body.intake.id);
    // The review task is opened all the same.
    expect(await app.db.models.tasks.countDocuments({ kind: "intake_review", refId: res.body.intake.id })).toBe(1);
  });
});
