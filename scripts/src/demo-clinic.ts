import bcrypt from "bcrypt";
import type { Database } from "../../server/src/app.js";
import { createAuthService } from "../../server/src/auth/auth.service.js";
import type { Config } from "../../server/src/config/config.js";
import { createAdminService } from "../../server/src/features/admin/admin.service.js";

/** Password of every demo account unless DEMO_PASSWORD says otherwise (documented in the README). */
export const DEFAULT_DEMO_PASSWORD = "demo-clinic-2026";

const FIRST = ["Maria", "James", "Aisha", "Robert", "Linda", "Wei", "Carlos", "Fatima", "David", "Priya", "Thomas", "Grace", "Ahmed", "Sofia", "Daniel", "Nora", "Kenji", "Elena", "Samuel", "Olivia"];
const LAST = ["Garcia", "Okafor", "Smith", "Nguyen", "Patel", "Johnson", "Kowalski", "Haddad", "Brown", "Silva", "Kim", "Martin", "Rossi", "Cohen", "Mensah", "Larsen", "Tanaka", "Ivanova", "Lopez", "Walker"];

const PATIENT1_THREAD: Array<["patient" | "physician", string]> = [
  ["physician", "Welcome to the program. How did the first 0.25 mg dose go?"],
  ["patient", "Some nausea the first two days, better now. Is that normal?"],
  ["physician", "Yes, that is common at the start. Smaller meals help; log it under side effects so I can follow it."],
  ["patient", "Will do. Weight this morning was down a little."],
];

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
  opts: { patients: number; password: string; log?: (line: string) => void },
): Promise<SeedResult> {
  const log = opts.log ?? (() => undefined);
  const auth = createAuthService({ users: db.models.users, cipher: db.cipher, bcryptCost: config.bcryptCost });
  const admin = createAdminService(db.models);
  if (await db.models.users.exists({ emailIndex: auth.emailIndex("physician1@demo.test") })) {
    return { created: false, patients: await db.models.users.countDocuments({ role: "patient" }) };
  }
  // One bcrypt hash serves every demo account (same password), so seeding stays fast at cost 12.
  const passwordHash = await bcrypt.hash(opts.password, config.bcryptCost);
  const make = (role: "patient" | "physician" | "support" | "admin", email: string, name: string) =>
    auth.createUser({ role, email, name, password: opts.password }, { passwordHash });

  await make("admin", "admin@demo.test", "Alex Admin");
  await make("support", "support1@demo.test", "Sam Support");
  const physicians = [await make("physician", "physician1@demo.test", "Dr. Rachel Chen"), await make("physician", "physician2@demo.test", "Dr. Omar Farouk")];

  for (let i = 1; i <= opts.patients; i++) {
    const name = `${FIRST[(i - 1) % FIRST.length]} ${LAST[(i * 7 - 1) % LAST.length]}`;
    const patient = await make("patient", `patient${i}@demo.test`, name);
    const physician = physicians[(i - 1) % physicians.length]!;
    const team = await admin.setCareTeam({ patientId: String(patient._id), physicianIds: [String(physician._id)] }, { resource: "careteam" });
    if (i === 1) {
      let t = Date.now() - PATIENT1_THREAD.length * 3_600_000;
      for (const [who, body] of PATIENT1_THREAD) {
        t += 3_600_000;
        const senderId = who === "patient" ? patient._id : physician._id;
        const createdAt = new Date(t);
        await db.models.messages.create({ conversationId: team.conversationIds[0], senderId, body, clientId: `seed-${createdAt.getTime()}`, createdAt });
        await db.models.conversations.updateOne({ _id: team.conversationIds[0] }, { $set: { lastMessageAt: createdAt } });
      }
    }
    if (i % 10 === 0 || i === opts.patients) log(`  patients: ${i}/${opts.patients}`);
  }
  return { created: true, patients: opts.patients };
}
