/**
 * Bench population, written straight into the database before the product starts (the
 * way demo-clinic seeds: one bcrypt hash shared by every account of a kind).
 *
 * - chat: `conversations` patients, each with a physician of their own (care team of one),
 *   so conversation i is between chatPatients[i] and chatPhysicians[i].
 * - fan-in: one physician ("dashboard physician") whose care team holds `faninPatients`.
 * - fan-out: one patient whose care team holds `fanoutPhysicians` physicians.
 * - login: `loginAccounts` patients whose hash has the configured cost (12), for the
 *   login scenario. Every other account's hash has cost 4, so the setup logins before
 *   the measured windows take ~1 ms of bcrypt instead of ~265 ms each (the cost is
 *   stored in the hash; the server's BCRYPT_COST is 12 throughout).
 */
import bcrypt from "bcrypt";
import { Types } from "mongoose";
import { openDatabase } from "../../server/src/app.js";
import { createAuthService } from "../../server/src/auth/auth.service.js";

export const BENCH_PASSWORD = "bench-password-123";

export interface Account {
  id: string;
  email: string;
}

export interface Population {
  chatPatients: Account[];
  chatPhysicians: Account[];
  conversationIds: string[];
  dashPhysician: Account;
  faninPatients: Account[];
  fanoutPatient: Account;
  fanoutPhysicians: Account[];
  loginAccounts: Account[];
}

export interface PopulationSizes {
  conversations: number;
  faninPatients: number;
  fanoutPhysicians: number;
  loginAccounts: number;
}

async function pool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

export async function seedPopulation(
  cfg: { mongoUri: string; masterKey: Buffer; bcryptCost: number },
  sizes: PopulationSizes,
  log: (l: string) => void,
): Promise<{ pop: Population; reset: () => Promise<void>; close: () => Promise<void> }> {
  const db = await openDatabase({ mongoUri: cfg.mongoUri, masterKey: cfg.masterKey });
  let ok = false;
  try {
    const auth = createAuthService({ users: db.models.users, cipher: db.cipher, bcryptCost: cfg.bcryptCost });
    const cheapHash = await bcrypt.hash(BENCH_PASSWORD, 4);
    const realHash = await bcrypt.hash(BENCH_PASSWORD, cfg.bcryptCost);
    const make = async (role: "patient" | "physician", email: string, hash = cheapHash): Promise<Account> => {
      const u = await auth.createUser({ role, email, name: email.split("@")[0]!, password: BENCH_PASSWORD }, { passwordHash: hash });
      return { id: String(u._id), email };
    };
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    const t = Date.now();
    const chatPatients = await pool(range(sizes.conversations), 8, (i) => make("patient", `cp${i}@bench.test`));
    const chatPhysicians = await pool(range(sizes.conversations), 8, (i) => make("physician", `cd${i}@bench.test`));
    const dashPhysician = await make("physician", "dash@bench.test");
    const faninPatients = await pool(range(sizes.faninPatients), 8, (i) => make("patient", `fp${i}@bench.test`));
    const fanoutPatient = await make("patient", "fo@bench.test");
    const fanoutPhysicians = await pool(range(sizes.fanoutPhysicians), 8, (i) => make("physician", `fd${i}@bench.test`));
    const loginAccounts = await pool(range(sizes.loginAccounts), 8, (i) => make("patient", `login${i}@bench.test`, realHash));
    log(`  users: ${Date.now() - t} ms`);
    const t2 = Date.now();
    // Care teams and conversations go in with raw insertMany (neither has encrypted fields):
    // setCareTeam's filters on patientId are full collection scans on FerretDB's SQLite
    // backend (only `_id` filters are pushed down), which makes seeding quadratic.
    const teams: Array<Record<string, unknown>> = [];
    const convs: Array<Record<string, unknown>> = [];
    const oid = (id: string) => new Types.ObjectId(id);
    const now = new Date();
    const conversationIds: string[] = [];
    const team = (patient: Account, physicians: Account[]) => {
      teams.push({ _id: new Types.ObjectId(), patientId: oid(patient.id), physicianIds: physicians.map((p) => oid(p.id)), updatedAt: now });
      return physicians.map((ph) => {
        const _id = new Types.ObjectId();
        convs.push({ _id, patientId: oid(patient.id), physicianId: oid(ph.id), createdAt: now, lastMessageAt: null, patientReadId: null, physicianReadId: null, toPhysician: 0, toPatient: 0, physicianReadCount: 0, patientReadCount: 0 });
        return String(_id);
      });
    };
    chatPatients.forEach((p, i) => conversationIds.push(team(p, [chatPhysicians[i]!])[0]!));
    faninPatients.forEach((p) => team(p, [dashPhysician]));
    team(fanoutPatient, fanoutPhysicians);
    for (let i = 0; i < teams.length; i += 500) await db.models.careTeams.collection.insertMany(teams.slice(i, i + 500));
    for (let i = 0; i < convs.length; i += 500) await db.models.conversations.collection.insertMany(convs.slice(i, i + 500));
    log(`  care teams + conversations: ${Date.now() - t2} ms`);
    const m = db.models;
    /** Empty what the scenarios write (messages, readings, triage, stats, alerts, tasks), so every run starts from the seeded state. */
    const reset = async () => {
      for (const model of [m.messages, m.readings, m.triage, m.patientStats, m.alerts, m.tasks]) await model.collection.deleteMany({});
      await m.conversations.collection.updateMany({}, { $set: { lastMessageAt: null, patientReadId: null, physicianReadId: null, toPhysician: 0, toPatient: 0, physicianReadCount: 0, patientReadCount: 0 } });
    };
    ok = true;
    return {
      pop: { chatPatients, chatPhysicians, conversationIds, dashPhysician, faninPatients, fanoutPatient, fanoutPhysicians, loginAccounts },
      reset,
      close: () => db.conn.close(),
    };
  } finally {
    if (!ok) await db.conn.close();
  }
}
