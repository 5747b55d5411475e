import { openDatabase } from "../../server/src/app.js";
import { AuditWriter } from "../../server/src/audit/audit.writer.js";
import { DEFAULT_KEY_REFRESH_MS } from "../../server/src/infra/crypto/keyring.js";
import { type RotationProgress, rotateKeys } from "../../server/src/infra/crypto/rotation.js";
import { createLogger } from "../../server/src/infra/logger.js";
import { cliConfig, parseFlags } from "./cli-env.js";

const USAGE = "usage: npm run keys:rotate -- [--batch-size N] [--grace-seconds S]";

/** A one-line progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise). */
function progressBar(stream: NodeJS.WriteStream) {
  let lastTenth = -1;
  return (p: RotationProgress) => {
    if (p.phase === "waiting") {
      stream.write(`${stream.isTTY ? "\r\x1b[K" : ""}waiting for every server to load the key change…${stream.isTTY ? "" : "\n"}`);
      return;
    }
    const within = p.total > 0 ? p.processed / p.total : 1;
    const overall = p.collections > 0 ? (p.collectionIndex + within) / p.collections : 1;
    const width = 30;
    const filled = Math.round(overall * width);
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.floor(overall * 100)).padStart(3)}% ${p.phase} ${p.collection ?? ""} ${p.processed}/${p.total} (re-sealed ${p.resealed})`;
    if (stream.isTTY) stream.write(`\r\x1b[K${line}`);
    else if (Math.floor(overall * 10) !== lastTenth) {
      lastTenth = Math.floor(overall * 10);
      stream.write(`${line}\n`);
    }
  };
}

/**
 * `npm run keys:rotate`: make a new field-encryption data key active and re-seal every
 * record with it, while the servers keep running. Resumable: after a crash, run it again.
 * Reads MONGODB_URI and PHI_MASTER_KEY, or the running demo's DATA_DIR.
 */
async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  const batchSize = flags["batch-size"] ? Number(flags["batch-size"]) : 200;
  const graceMs = flags["grace-seconds"] ? Number(flags["grace-seconds"]) * 1000 : 2 * DEFAULT_KEY_REFRESH_MS;
  if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isFinite(graceMs) || graceMs < 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = cliConfig();
  const db = await openDatabase(config);
  const audit = new AuditWriter(db.models.audit, { flushMs: 0, maxBatch: 10, nodeId: "keys-rotate", logger: createLogger("warn") });
  const entry = { role: "system", resource: "datakey", userAgent: "keys-rotate-cli" } as const;
  try {
    await audit.record({ ...entry, action: "keys:rotate", outcome: "success", reason: "STARTED" });
    const result = await rotateKeys(db, { batchSize, graceMs, onProgress: progressBar(process.stderr) });
    if (process.stderr.isTTY) process.stderr.write("\n");
    await audit.record({ ...entry, action: "keys:rotate", resourceId: result.keyId, outcome: result.remaining === 0 && result.unreadable === 0 ? "success" : "failure", reason: result.resumed ? "RESUMED" : "COMPLETED" });
    process.stdout.write(
      `data key ${result.keyId} is active; ${result.resealed} values re-sealed` +
        `${result.resumed ? " (resumed)" : ""}; ${result.remaining} left under older keys; ${result.unreadable} unreadable\n`,
    );
    return result.unreadable > 0 ? 1 : 0;
  } catch (err) {
    await audit.record({ ...entry, action: "keys:rotate", outcome: "failure", reason: "INTERRUPTED" }).catch(() => undefined);
    throw err;
  } finally {
    await audit.close();
    await db.conn.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nkeys:rotate failed (run it again to resume): ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
