import mongoose from "mongoose";
import { createAuditModel } from "../../server/src/audit/audit.model.js";
import { formatReport, verifyAuditChains } from "../../server/src/audit/verify.js";
import { cliConfig } from "./cli-env.js";

/**
 * `npm run audit:verify`: recompute every audit hash chain and report the first altered,
 * missing or reordered entry of each (exit 1), or "N chains, M entries verified" (exit 0).
 * Reads MONGODB_URI, or the running demo's DATA_DIR/services.json. Read-only; needs no
 * encryption key (the audit log holds no PHI).
 */
async function main(): Promise<number> {
  const config = cliConfig();
  const conn = await mongoose.createConnection(config.mongoUri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    const report = await verifyAuditChains(createAuditModel(conn).collection);
    const out = formatReport(report);
    if (report.problems.length > 0) {
      process.stderr.write(`${out}\n`);
      return 1;
    }
    process.stdout.write(`${out}\n`);
    return 0;
  } finally {
    await conn.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit:verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
