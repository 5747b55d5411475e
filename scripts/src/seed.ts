import { openDatabase } from "../../server/src/app.js";
import { cliConfig, parseFlags } from "./cli-env.js";
import { warmPatientStats } from "./cohort.js";
import { DEFAULT_DEMO_PASSWORD, seedDemoClinic } from "./demo-clinic.js";

/** `npm run seed -- --patients N`: the demo clinic, against the configured or running database. */
async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const patients = Number(flags.patients ?? process.env.DEMO_PATIENTS ?? 40);
  if (!Number.isInteger(patients) || patients < 1 || patients > 5000) throw new Error("--patients must be a whole number from 1 to 5000");
  const config = cliConfig();
  const db = await openDatabase(config);
  try {
    const r = await seedDemoClinic(db, config, {
      patients,
      password: process.env.DEMO_PASSWORD ?? DEFAULT_DEMO_PASSWORD,
      log: (l) => process.stdout.write(`${l}\n`),
      progress: progressBar(),
    });
    await warmPatientStats(db, (l) => process.stdout.write(`${l}\n`));
    process.stdout.write(r.created ? `seeded the demo clinic with ${r.patients} patients\n` : `the demo clinic is already seeded (${r.patients} patients); nothing changed\n`);
  } finally {
    await db.conn.close();
  }
}

/** A progress bar on a terminal; a line per 10 % otherwise (logs, CI). */
function progressBar(): (done: number, total: number) => void {
  const started = Date.now();
  let lastTenth = -1;
  return (done, total) => {
    const frac = total > 0 ? done / total : 1;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (process.stdout.isTTY) {
      const width = 30;
      const filled = Math.round(frac * width);
      process.stdout.write(`\r  patients [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total} ${secs} s${done === total ? "\n" : ""}`);
    } else if (Math.floor(frac * 10) !== lastTenth) {
      lastTenth = Math.floor(frac * 10);
      process.stdout.write(`  patients: ${done}/${total} (${secs} s)\n`);
    }
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
