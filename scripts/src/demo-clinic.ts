import bcrypt from "bcrypt";
import type { Database } from "../../server/src/app.js";
import { createAuthService } from "../../server/src/auth/auth.service.js";
import { createMfaService } from "../../server/src/auth/mfa.service.js";
import { base32Decode } from "../../server/src/auth/totp.js";
import type { Config } from "../../server/src/config/config.js";
import { seedCohort } from "./cohort.js";

/** Password of every demo account unless DEMO_PASSWORD says otherwise (documented in the README). */
export const DEFAULT_DEMO_PASSWORD = "demo-clinic-2026";

/**
 * TOTP secret (base32) of every demo staff account unless DEMO_TOTP_SECRET says otherwise
 * (documented in the README), so people and checks can compute codes. Demo only.
 */
export const DEFAULT_DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP";

/** The demo's TOTP secret from the environment, checked to be base32 of at least 80 bits. */
export function demoTotpSecret(env: NodeJS.ProcessEnv = process.env): string {
  const secret = (env.DEMO_TOTP_SECRET ?? DEFAULT_DEMO_TOTP_SECRET).replace(/\s+/g, "").toUpperCase();
  let bytes: number;
  try {
    bytes = base32Decode(secret).length;
  } catch {
    bytes = 0;
  }
  if (bytes < 10) throw new Error("DEMO_TOTP_SECRET must be base32 (A-Z, 2-7) of at least 16 characters");
  return secret;
}

const STAFF_EMAILS = ["admin@demo.test", "support1@demo.test", "physician1@demo.test", "physician2@demo.test"];

/**
 * Demo staff (admin, support, physicians) have MFA with the demo secret. Runs on every
 * seed, so a clinic seeded before MFA existed gets it too; accounts already enrolled are
 * left alone.
 */
async function enrollDemoStaff(db: Database, auth: ReturnType<typeof createAuthService>, secret: string, log: (line: string) => void): Promise<void> {
  const mfa = createMfaService({ users: db.models.users, cipher: db.cipher, issuer: "GLP-1 Care" });
  let n = 0;
  for (const email of STAFF_EMAILS) {
    const u = await db.models.users.findOne({ emailIndex: auth.emailIndex(email) }, { _id: 1, mfaEnabled: 1 }).lean();
    if (!u || u.mfaEnabled) continue;
    await mfa.activateWithSecret(String(u._id), secret);
    n++;
  }
  if (n > 0) log(`  MFA enrolled for ${n} demo staff account(s)`);
}

const FIRST = ["Maria", "James", "Aisha", "Robert", "Linda", "Wei", "Carlos", "Fatima", "David", "Priya", "Thomas", "Grace", "Ahmed", "Sofia", "Daniel", "Nora", "Kenji", "Elena", "Samuel", "Olivia"];
const LAST = ["Garcia", "Okafor", "Smith", "Nguyen", "Patel", "Johnson", "Kowalski", "Haddad", "Brown", "Silva", "Kim", "Martin", "Rossi", "Cohen", "Mensah", "Larsen", "Tanaka", "Ivanova", "Lopez", "Walker"];

const PATIENT1_THREAD: Array<["patient" | "physician", string]> = [
  ["physician", "Checking in: how did this week's dose go?"],
  ["patient", "Some nausea the first two days, better now. Is that normal?"],
  ["physician", "Yes, that is common at the start. Smaller meals help; log it under side effects so I can follow it."],
  ["patient", "Will do. Weight this morning was down a little."],
];

/** Distinct names for the first FIRST×LAST patients; beyond that a middle initial keeps them apart. */
export function demoPatientName(i: number): string {
  const k = i - 1;
  const pairs = FIRST.length * LAST.length;
  const middle = k >= pairs ? ` ${String.fromCharCode(65 + (Math.floor(k / pairs) % 26))}.` : "";
  return `${FIRST[k % FIRST.length]}${middle} ${LAST[(Math.floor(k / FIRST.length) + k) % LAST.length]}`;
}

export interface SeedResult {
  created: boolean;
  patients: number;
}

/**
 * The demo clinic: admin, support1, physician1 and physician2, and `patients` patients
 * split between the two physicians, each with an open conversation; patient1's holds a
 * short thread. Running it again changes nothing (the accounts already exist).
 */
export async function seedDemoClinic(
  db: Database,
  config: Pick<Config, "bcryptCost">,
  opts: { patients: number; password: string; totpSecret?: string; log?: (line: string) => void; progress?: (done: number, total: number) => void },
): Promise<SeedResult> {
  const log = opts.log ?? (() => undefined);
  const auth = createAuthService({ users: db.models.users, cipher: db.cipher, bcryptCost: config.bcryptCost });
  const totpSecret = opts.totpSecret ?? demoTotpSecret();
  if (await db.models.users.exists({ emailIndex: auth.emailIndex("physician1@demo.test") })) {
    await enrollDemoStaff(db, auth, totpSecret, log);
    return { created: false, patients: await db.models.users.countDocuments({ role: "patient" }) };
  }
  // One bcrypt hash serves every demo account (same password), so seeding stays fast at cost 12.
  const passwordHash = await bcrypt.hash(opts.password, config.bcryptCost);
  const make = (role: "patient" | "physician" | "support" | "admin", email: string, name: string) =>
    auth.createUser({ role, email, name, password: opts.password }, { passwordHash });

  await make("admin", "admin@demo.test", "Alex Admin");
  await make("support", "support1@demo.test", "Sam Support");
  const physicians = [await make("physician", "physician1@demo.test", "Dr. Rachel Chen"), await make("physician", "physician2@demo.test", "Dr. Omar Farouk")];

  // The patients: a cohort following the published trial curves, in bulk (scripts/src/cohort.ts).
  const cohort = await seedCohort(db, {
    patients: opts.patients,
    physicianIds: physicians.map((p) => String(p._id)),
    passwordHash,
    emailFor: (i) => `patient${i}@demo.test`,
    nameFor: demoPatientName,
    log,
    progress: opts.progress,
  });
  // patient1 (physician1's) gets a short recent thread on top.
  {
    const patientId = cohort.patientIds[0]!;
    const conversationId = cohort.conversationIds[0]!;
    const physician = physicians[0]!;
    let t = Date.now() - PATIENT1_THREAD.length * 3_600_000;
    for (const [who, body] of PATIENT1_THREAD) {
      t += 3_600_000;
      const senderId = who === "patient" ? patientId : physician._id;
      const createdAt = new Date(t);
      await db.models.messages.create({ conversationId, senderId, body, clientId: `seed-${createdAt.getTime()}`, createdAt });
      await db.models.conversations.updateOne({ _id: conversationId }, { $set: { lastMessageAt: createdAt } });
    }
  }
  await enrollDemoStaff(db, auth, totpSecret, log);
  return { created: true, patients: opts.patients };
}
