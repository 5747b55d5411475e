import { createPrivateKey, randomBytes, sign } from "node:crypto";
import {
  classifyPatientMessage,
  type CohortArm,
  DRUGS,
  type DrugName,
  INJECTION_SITES,
  KG_PER_LB,
  ladderSchedule,
  TRIAL_ARMS,
  trialCurvePct,
} from "@glp1/shared";
import { Types } from "mongoose";
import type { Database } from "../../server/src/app.js";
import { createPatientStatsService } from "../../server/src/features/dashboard/index.js";
import { canonicalPrescription } from "../../server/src/features/prescriptions/index.js";
import { createSigner } from "../../server/src/features/prescriptions/signing.js";
import { aadFor } from "../../server/src/infra/crypto/fieldCipher.js";

/**
 * The demo cohort: patients on semaglutide or tirzepatide whose weights follow the
 * published mean curves (STEP 1, SURMOUNT-1; shared/src/clinical/trials.ts) with
 * per-patient variation, measurement noise and missed readings; titration histories on
 * the label's ladder (signed prescriptions); weekly dose logs; side-effect reports; a few
 * red-flag events; and short chat threads, some waiting for an answer.
 *
 * Nothing here writes a mean: each patient gets a response scale drawn around 1 and a
 * time constant drawn around the arm's, and each reading is the curve at that moment,
 * scaled, plus noise. The cohort figures come out of the readings on the server.
 *
 * Bulk writes: the encryption plugin refuses `insertMany` (it cannot seal), so this file
 * seals each PHI field itself with the same cipher and AAD (`collection|field|_id`) the
 * plugin uses, with ids generated up front, and inserts raw documents in batches.
 */

const WEEK = 7 * 86_400_000;
const HOUR = 3_600_000;
const BATCH = 1000;

/** Share of patients per arm: the two arms the figures are checked against get the most patients. */
const ARM_SHARE: [CohortArm, number][] = [
  ["semaglutide-2.4", 0.4],
  ["tirzepatide-15", 0.35],
  ["tirzepatide-10", 0.15],
  ["tirzepatide-5", 0.1],
];

/** Seeded PRNG (mulberry32): real pseudo-random noise, reproducible when a seed is given. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rng: () => number, mean = 0, sd = 1): number {
  const u = Math.max(rng(), 1e-12);
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

export interface PlannedRx {
  drug: DrugName;
  doseMg: number;
  signedAt: number;
  kind: "start" | "escalate" | "hold";
}

/** Everything generated for one patient, before it is stored. */
export interface PatientPlan {
  arm: CohortArm;
  drug: DrugName;
  start: number;
  baselineKg: number;
  /** Response scale (1 = exactly the arm's mean curve) and time constant, drawn per patient. */
  scale: number;
  tauWeeks: number;
  enteredInLb: boolean;
  weights: { at: number; kg: number }[];
  doses: { at: number; mg: number }[];
  gi: { at: number; value: { nausea: number; vomiting: number; diarrhea: number; constipation: number; abdominal_pain: number } }[];
  prescriptions: PlannedRx[];
  redFlag: boolean;
}

function pickArm(rng: () => number): CohortArm {
  let x = rng();
  for (const [arm, share] of ARM_SHARE) {
    if (x < share) return arm;
    x -= share;
  }
  return "semaglutide-2.4";
}

/** Plan one patient's history up to `now`. Pure: the same rng state gives the same patient. */
export function planPatient(rng: () => number, now: number): PatientPlan {
  const arm = pickArm(rng);
  const trial = TRIAL_ARMS[arm];
  const drug = trial.drug;
  // Most of the clinic has been on therapy past the trials' end points; some started recently.
  const established = rng() < 0.85;
  const weeksAgo = established ? trial.endpointWeek + 4 + rng() * 30 : 1 + rng() * 70;
  const start = Math.round(now - weeksAgo * WEEK);
  const baselineKg = clamp(normal(rng, 105, 18), 75, 180);
  // Symmetric clamps around 1 keep the scale's mean at 1.
  const scale = clamp(normal(rng, 1, 0.25), 0.25, 1.75);
  const tauWeeks = trial.tauWeeks * (0.85 + rng() * 0.3);
  const weeksSoFar = Math.floor((now - start) / WEEK);

  // Titration: the label's ladder; 15% hold one step 4 more weeks (not tolerated).
  const steps = DRUGS[drug].steps;
  const top = steps.findIndex((s) => Math.abs(s - trial.maintenanceMg) < 1e-9);
  const delays: Record<number, number> = {};
  if (top > 0 && rng() < 0.15) delays[1 + Math.floor(rng() * top)] = 4;
  let schedule = ladderSchedule(drug, trial.maintenanceMg, delays).filter((s) => s.week <= weeksSoFar);
  // Some recent patients are due an escalation their physician has not written yet.
  if (!established && schedule.length > 1 && rng() < 0.35 && weeksSoFar - schedule.at(-1)!.week < 4) schedule = schedule.slice(0, -1);
  const prescriptions: PlannedRx[] = schedule.map((s, i) => ({ drug, doseMg: s.mg, signedAt: start + s.week * WEEK, kind: i === 0 ? "start" : "escalate" }));
  const last = schedule.at(-1)!;
  for (let w = last.week + 12; w <= weeksSoFar; w += 12) prescriptions.push({ drug, doseMg: last.mg, signedAt: start + w * WEEK, kind: "hold" });
  const doseAt = (week: number) => [...schedule].reverse().find((s) => s.week <= week)?.mg ?? schedule[0]!.mg;

  const weights: PatientPlan["weights"] = [];
  const doses: PatientPlan["doses"] = [];
  const gi: PatientPlan["gi"] = [];
  // A vacation: a few weeks without readings for some patients.
  const gapFrom = rng() < 0.1 ? 6 + Math.floor(rng() * Math.max(1, weeksSoFar - 8)) : -1;
  const gapLen = 2 + Math.floor(rng() * 3);
  const doseGapFrom = rng() < 0.04 ? Math.max(1, weeksSoFar - 4) : -1;
  weights.push({ at: start - HOUR * (1 + rng() * 24), kg: round(baselineKg + normal(rng, 0, 0.3), 1) });
  for (let w = 0; w <= weeksSoFar; w++) {
    const inGap = gapFrom >= 0 && w >= gapFrom && w < gapFrom + gapLen;
    if (w > 0 && !inGap && rng() > 0.08) {
      const at = Math.min(now - HOUR, start + w * WEEK + normal(rng, 0, 8 * HOUR));
      const pct = trialCurvePct(arm, (at - start) / WEEK, { tauWeeks, scale });
      weights.push({ at, kg: round(baselineKg * (1 + pct / 100) + normal(rng, 0, 0.6), 1) });
    }
    const missedDose = rng() < 0.05 || (doseGapFrom >= 0 && w >= doseGapFrom);
    if (!missedDose) doses.push({ at: Math.min(now - HOUR, start + w * WEEK + Math.abs(normal(rng, 0, 6 * HOUR))), mg: doseAt(w) });
  }
  // Side effects after escalations for about a third of patients.
  if (rng() < 0.35) {
    for (const s of schedule.slice(1)) {
      const at = start + (s.week + 1) * WEEK + rng() * 3 * 86_400_000;
      if (at > now) continue;
      const score = () => Math.floor(rng() * 3);
      gi.push({ at, value: { nausea: 1 + Math.floor(rng() * 5), vomiting: score(), diarrhea: score(), constipation: score(), abdominal_pain: score() } });
    }
  }
  // A few red-flag events: severe abdominal pain (possible pancreatitis).
  const redFlag = rng() < 0.03;
  if (redFlag) gi.push({ at: now - rng() * 20 * 86_400_000, value: { nausea: 6, vomiting: 5, diarrhea: 1, constipation: 0, abdominal_pain: 8 } });
  return { arm, drug, start, baselineKg, scale, tauWeeks, enteredInLb: rng() < 0.3, weights, doses, gi, prescriptions, redFlag };
}

const PATIENT_LINES = [
  "Nausea is better this week, eating smaller meals helps.",
  "Down a bit again this week. Feeling good overall.",
  "Is it normal to feel full so quickly after eating?",
  "Had some constipation after the last dose increase.",
  "Energy is good, walking every morning now.",
];
const WAITING_LINES = [
  "Quick question: should I take my dose if I am two days late?",
  "Can I get a refill sent to my pharmacy? I have one pen left.",
  "I have had severe stomach pain since last night and it is going to my back.",
  "Could we talk about the next dose step at my appointment?",
  "Feeling a bit dizzy in the mornings, is that related to the medication?",
];

/** A 24-hex ObjectId whose time part is `at`, so ids order by time (read marks compare ids). */
const idAt = (at: number) => new Types.ObjectId(Math.floor(at / 1000).toString(16).padStart(8, "0") + randomBytes(8).toString("hex"));

export interface CohortOptions {
  patients: number;
  /** Physicians to share the patients between (round robin). */
  physicianIds: string[];
  /** One bcrypt hash for every demo patient (same password). */
  passwordHash: string;
  emailFor: (i: number) => string;
  nameFor: (i: number) => string;
  /** Numbers the patients from here (1 by default). */
  firstIndex?: number;
  /** PRNG seed; random when absent (it is printed so a cohort can be regenerated). */
  seed?: number;
  now?: Date;
  log?: (line: string) => void;
  progress?: (done: number, total: number) => void;
}

export interface CohortResult {
  seed: number;
  patientIds: string[];
  conversationIds: string[];
  counts: { readings: number; prescriptions: number; messages: number; alerts: number; triage: number };
  ms: number;
}

async function insertRaw(collection: { insertMany(docs: object[], opts: object): Promise<unknown> }, docs: object[]): Promise<void> {
  for (let i = 0; i < docs.length; i += BATCH) await collection.insertMany(docs.slice(i, i + BATCH), { ordered: true });
}

/** Generate and store the cohort (see the file comment). Patients are written in batches of 100 with a progress callback. */
export async function seedCohort(db: Database, opts: CohortOptions): Promise<CohortResult> {
  const t0 = Date.now();
  const { models, cipher } = db;
  const seed = opts.seed ?? randomBytes(4).readUInt32LE(0);
  const rng = makeRng(seed);
  const now = (opts.now ?? new Date()).getTime();
  const first = opts.firstIndex ?? 1;
  const seal = (coll: string, field: string, id: Types.ObjectId, plain: string) => cipher.seal(plain, aadFor(coll, field, id));
  const counts = { readings: 0, prescriptions: 0, messages: 0, alerts: 0, triage: 0 };
  const patientIds: string[] = [];
  const conversationIds: string[] = [];

  // One signing key per physician, made through the server's signer; then signed in bulk with it.
  const signer = createSigner({ signingKeys: models.signingKeys });
  const keys = new Map<string, { keyId: string; key: ReturnType<typeof createPrivateKey> }>();
  for (const physicianId of opts.physicianIds) {
    const probe = { _id: new Types.ObjectId(), patientId: new Types.ObjectId(), physicianId: new Types.ObjectId(physicianId), drug: "semaglutide" as const, doseMg: 0.25, directions: "-", quantity: 1, refills: 0, overrideReason: null, signedAt: new Date() };
    await signer.signPrescription(probe);
    const doc = (await models.signingKeys.findOne({ physicianId }))!;
    keys.set(physicianId, { keyId: doc._id, key: createPrivateKey(doc.privateKeyPem) });
  }

  for (let from = 0; from < opts.patients; from += 100) {
    const n = Math.min(100, opts.patients - from);
    const users: object[] = [];
    const teams: object[] = [];
    const convs: object[] = [];
    const rxs: object[] = [];
    const readings: object[] = [];
    const msgs: object[] = [];
    const alerts: object[] = [];
    const triage: object[] = [];
    for (let k = 0; k < n; k++) {
      const i = first + from + k;
      const plan = planPatient(rng, now);
      const physicianId = new Types.ObjectId(opts.physicianIds[(i - 1) % opts.physicianIds.length]!);
      const patientId = idAt(plan.start - 30 * 86_400_000);
      const email = opts.emailFor(i);
      patientIds.push(String(patientId));
      users.push({
        _id: patientId,
        role: "patient",
        name: seal("users", "name", patientId, opts.nameFor(i)),
        email: seal("users", "email", patientId, email),
        emailIndex: cipher.blindIndex("email", email.trim().toLowerCase()),
        passwordHash: opts.passwordHash,
        active: true,
        createdAt: new Date(plan.start - 30 * 86_400_000),
        mfaEnabled: false,
        mfaSecret: null,
        mfaPending: null,
        mfaRecovery: [],
        mfaPendingRecovery: [],
        mfaEnabledAt: null,
      });
      teams.push({ _id: new Types.ObjectId(), patientId, physicianIds: [physicianId], updatedAt: new Date(plan.start - 20 * 86_400_000) });

      // Prescriptions: signed with the physician's key over the same canonical bytes the server verifies.
      const key = keys.get(String(physicianId))!;
      for (const [j, p] of plan.prescriptions.entries()) {
        const _id = idAt(p.signedAt - HOUR);
        const directions = `Inject ${p.doseMg} mg subcutaneously once weekly, same day each week.`;
        const signedAt = new Date(p.signedAt);
        const filled = p.signedAt + 86_400_000 <= now;
        const latest = j === plan.prescriptions.length - 1;
        const signature = sign(null, canonicalPrescription({ _id, patientId, physicianId, drug: p.drug, doseMg: p.doseMg, directions, quantity: 1, refills: p.kind === "hold" ? 2 : 0, overrideReason: null, signedAt }), key.key);
        rxs.push({
          _id,
          patientId,
          physicianId,
          drug: p.drug,
          doseMg: p.doseMg,
          directions: seal("prescriptions", "directions", _id, directions),
          quantity: 1,
          refills: p.kind === "hold" ? 2 : 0,
          status: filled && !(latest && plan.prescriptions.length % 3 === 0) ? "filled" : "sent",
          overrideReason: null,
          overriddenRule: null,
          titrationKind: p.kind,
          createdAt: new Date(p.signedAt - HOUR),
          signedAt,
          sentAt: new Date(p.signedAt + 5 * 60_000),
          filledAt: filled ? new Date(p.signedAt + 86_400_000) : null,
          cancelledAt: null,
          filledBy: filled ? physicianId : null,
          signature: { keyId: key.keyId, alg: "Ed25519", value: signature.toString("base64") },
        });
      }

      const reading = (kind: string, at: number, value: unknown, unit: string, entered: { value: unknown; unit: string }) => {
        const _id = new Types.ObjectId();
        readings.push({
          _id,
          patientId,
          kind,
          value: seal("readings", "value", _id, JSON.stringify(value)),
          unit,
          entered: seal("readings", "entered", _id, JSON.stringify(entered)),
          observedAt: new Date(at),
          createdAt: new Date(Math.min(now, at + 60_000)),
        });
      };
      for (const w of plan.weights) {
        if (plan.enteredInLb) {
          const lb = round(w.kg / KG_PER_LB, 1);
          reading("weight", w.at, round(lb * KG_PER_LB, 2), "kg", { value: lb, unit: "lb" });
        } else reading("weight", w.at, w.kg, "kg", { value: w.kg, unit: "kg" });
      }
      for (const d of plan.doses) {
        const value = { drug: plan.drug, mg: d.mg, site: INJECTION_SITES[Math.floor(rng() * INJECTION_SITES.length)]! };
        reading("dose", d.at, value, "mg", { value, unit: "mg" });
      }
      for (const g of plan.gi) reading("gi", g.at, g.value, "score", { value: g.value, unit: "score" });

      // Alerts: the red-flag event (open when recent), and a missed-doses flag for a long dose gap.
      const lastDose = plan.doses.at(-1)?.at ?? plan.start;
      const flags: { kind: string; severity: string; at: number; evidence: object }[] = [];
      if (plan.redFlag) {
        const g = plan.gi.at(-1)!;
        flags.push({ kind: "pancreatitis", severity: "urgent", at: g.at, evidence: { abdominal_pain: g.value.abdominal_pain } });
      }
      if (now - lastDose > 21 * 86_400_000) flags.push({ kind: "missed_doses", severity: "medium", at: lastDose + 21 * 86_400_000, evidence: { daysSinceLastDose: Math.floor((now - lastDose) / 86_400_000) } });
      for (const f of flags) {
        const _id = idAt(f.at);
        const open = now - f.at < 14 * 86_400_000;
        alerts.push({
          _id,
          patientId,
          kind: f.kind,
          severity: f.severity,
          evidence: seal("alerts", "evidence", _id, JSON.stringify(f.evidence)),
          source: "reading",
          sourceId: null,
          status: open ? "open" : "acknowledged",
          ...(open ? { openKey: `${String(patientId)}:${f.kind}` } : {}),
          occurrences: 1,
          createdAt: new Date(f.at),
          lastSeenAt: new Date(f.at),
          acknowledgedAt: open ? null : new Date(f.at + 86_400_000),
          acknowledgedBy: open ? null : physicianId,
        });
      }

      // Chat: a welcome thread; about one patient in five has a message still waiting for an answer.
      const convId = idAt(plan.start - 20 * 86_400_000);
      conversationIds.push(String(convId));
      const thread: { from: "patient" | "physician"; at: number; body: string }[] = [
        { from: "physician", at: plan.start + HOUR, body: `Welcome to the program. Your first ${plan.drug} dose is ${plan.prescriptions[0]!.doseMg} mg once weekly. Tell me how it goes.` },
        { from: "patient", at: plan.start + 26 * HOUR, body: PATIENT_LINES[Math.floor(rng() * PATIENT_LINES.length)]! },
        { from: "physician", at: plan.start + 30 * HOUR, body: "Thanks for the update. Keep logging your weight and any side effects." },
      ];
      const waiting = rng() < 0.2;
      if (waiting) thread.push({ from: "patient", at: now - rng() * 3 * 86_400_000, body: plan.redFlag ? WAITING_LINES[2]! : WAITING_LINES[Math.floor(rng() * WAITING_LINES.length)]! });
      let lastPhysicianRead: Types.ObjectId | null = null;
      let lastPatientRead: Types.ObjectId | null = null;
      let lastMessageAt = 0;
      let lastMessageId: Types.ObjectId | null = null;
      // The unread counters (server/src/features/chat/counters.ts): messages each side did not send, and read.
      const counts = { toPhysician: 0, toPatient: 0 };
      let physicianReadCount = 0;
      let patientReadCount = 0;
      for (const m of thread) {
        const _id = idAt(m.at);
        const senderId = m.from === "patient" ? patientId : physicianId;
        if (m.from === "patient") counts.toPhysician++;
        else counts.toPatient++;
        msgs.push({ _id, conversationId: convId, senderId, body: seal("messages", "body", _id, m.body), clientId: `seed-${String(_id)}`, createdAt: new Date(m.at) });
        lastMessageAt = Math.max(lastMessageAt, m.at);
        if (!lastMessageId || String(_id) > String(lastMessageId)) lastMessageId = _id;
        if (m.from === "physician") {
          lastPatientRead = _id;
          patientReadCount = counts.toPatient;
        }
        if (m.from === "patient" && !(waiting && m === thread.at(-1))) {
          lastPhysicianRead = _id;
          physicianReadCount = counts.toPhysician;
        }
        if (waiting && m === thread.at(-1)) {
          const cls = classifyPatientMessage(m.body);
          triage.push({
            _id: convId,
            patientId,
            status: cls.category === "unanswered" ? "pending" : "open",
            category: cls.category,
            priority: cls.priority,
            ruleId: cls.ruleId,
            messageId: _id,
            waitingSince: new Date(m.at),
            slaDueAt: new Date(m.at + (cls.category === "red_flag" ? 5 * 60_000 : 3_600_000)),
            claimedBy: null,
            routedTo: null,
            updatedAt: new Date(m.at),
            version: 1,
          });
        }
      }
      convs.push({ _id: convId, patientId, physicianId, createdAt: new Date(plan.start - 20 * 86_400_000), lastMessageAt: new Date(lastMessageAt), lastMessageId, patientReadId: lastPatientRead, physicianReadId: lastPhysicianRead, ...counts, physicianReadCount, patientReadCount });
    }
    await insertRaw(models.users.collection, users);
    await insertRaw(models.careTeams.collection, teams);
    await insertRaw(models.conversations.collection, convs);
    await insertRaw(models.prescriptions.collection, rxs);
    await insertRaw(models.readings.collection, readings);
    await insertRaw(models.messages.collection, msgs);
    if (alerts.length) await insertRaw(models.alerts.collection, alerts);
    if (triage.length) await insertRaw(models.triage.collection, triage);
    counts.readings += readings.length;
    counts.prescriptions += rxs.length;
    counts.messages += msgs.length;
    counts.alerts += alerts.length;
    counts.triage += triage.length;
    opts.progress?.(from + n, opts.patients);
  }
  const ms = Date.now() - t0;
  opts.log?.(
    `  cohort: ${opts.patients} patients, ${counts.readings} readings, ${counts.prescriptions} prescriptions, ${counts.messages} messages, ${counts.alerts} alerts, ${counts.triage} triage items in ${(ms / 1000).toFixed(1)} s (seed ${seed})`,
  );
  return { seed, patientIds, conversationIds, counts, ms };
}

/**
 * Build the per-patient summaries the dashboard and cohort figures read (the server
 * builds a missing one on first use; this does it up front so the first page load after
 * a big seed is quick). Same server code, reading the stored readings.
 */
export async function warmPatientStats(db: Database, log?: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  const stats = createPatientStatsService({ stats: db.models.patientStats, readings: db.models.readings, cipher: db.cipher });
  const have = new Set((await db.models.patientStats.collection.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
  const ids = (await db.models.users.collection.find({ role: "patient" }, { projection: { _id: 1 } }).toArray()).map((u) => String(u._id)).filter((id) => !have.has(id));
  if (ids.length === 0) return;
  await stats.build(ids);
  log?.(`  dashboard summaries for ${ids.length} patients built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
