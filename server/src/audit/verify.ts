import type { mongo } from "mongoose";
import type { AuditEntry } from "./audit.model.js";
import { entryHash, GENESIS_HASH } from "./audit.writer.js";

export type ChainProblemKind = "altered" | "missing" | "reordered";

/** The first thing wrong with one chain. */
export interface ChainProblem {
  chainId: string;
  kind: ChainProblemKind;
  /** The seq where the chain first goes wrong (for `missing`: the first absent seq). */
  seq: number;
  detail: string;
}

export interface VerifyReport {
  chains: number;
  entries: number;
  problems: ChainProblem[];
}

/** How far from its place a moved entry is looked for (only when an entry fails its hash). */
const REORDER_SEARCH = 64;

type Collection = mongo.Collection;
type Document = mongo.Document;

/** The hash an entry would have at `seq`; null when a field is gone or mistyped. */
const hashOf = (doc: Document, seq: number): string | null => {
  const { hash: _h, _id: _i, ...rest } = doc;
  try {
    return entryHash({ ...(rest as Omit<AuditEntry, "hash">), seq });
  } catch {
    return null;
  }
};

/**
 * Walk every chain (one per writer process) in seq order and recompute it: each entry's
 * hash over its own fields, its link to the previous entry's hash, and seq continuity
 * from 1. Reports the first problem per chain:
 * - `missing`: a seq is absent (an entry was deleted);
 * - `reordered`: an entry's fields are intact but it sits at another seq than it was written at;
 * - `altered`: an entry's fields no longer match its hash, or its hash is not the one the
 *   next entry recorded (it was rewritten and re-hashed).
 * A chain cut off at its end cannot be told from one whose writer stopped there: the
 * chain proves order and integrity, not completeness of the tail.
 */
export async function verifyAuditChains(collection: Collection, opts: { chainIds?: string[] } = {}): Promise<VerifyReport> {
  const chainIds = opts.chainIds ?? ((await collection.distinct("chainId")) as string[]).sort();
  const report: VerifyReport = { chains: 0, entries: 0, problems: [] };
  for (const chainId of chainIds) {
    report.chains++;
    const problem = await verifyChain(collection, chainId, (n) => (report.entries += n));
    if (problem) report.problems.push(problem);
  }
  return report;
}

async function verifyChain(collection: Collection, chainId: string, counted: (n: number) => void): Promise<ChainProblem | null> {
  const cursor = collection.find({ chainId }).sort({ seq: 1 });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let problem: ChainProblem | null = null;
  const at = (kind: ChainProblemKind, seq: number, detail: string): ChainProblem => ({ chainId, kind, seq, detail });
  try {
    for await (const doc of cursor) {
      counted(1);
      if (problem) continue; // keep counting; the first problem is what gets reported
      const seq = Number(doc.seq);
      if (seq > expectedSeq) {
        problem = at("missing", expectedSeq, seq - expectedSeq === 1 ? `seq ${expectedSeq} is missing` : `seq ${expectedSeq}–${seq - 1} are missing`);
        continue;
      }
      if (seq < expectedSeq) {
        problem = at("reordered", seq, `seq ${seq} appears twice`);
        continue;
      }
      if (typeof doc.hash !== "string" || hashOf(doc, seq) !== doc.hash) {
        problem = movedFrom(doc, seq) ?? at("altered", seq, "its fields do not match its hash");
        continue;
      }
      if (doc.prevHash !== prevHash) {
        // This entry is intact but names another predecessor: the previous one was
        // rewritten and re-hashed (or an entry written elsewhere was moved in).
        problem = at("altered", seq - 1, `entry ${seq - 1} is not the one entry ${seq} was chained to`);
        continue;
      }
      prevHash = doc.hash;
      expectedSeq = seq + 1;
    }
  } finally {
    await cursor.close();
  }
  return problem;

  function movedFrom(doc: Document, seq: number): ChainProblem | null {
    for (let d = 1; d <= REORDER_SEARCH; d++) {
      for (const s of [seq - d, seq + d]) {
        if (s >= 1 && hashOf(doc, s) === doc.hash) return at("reordered", seq, `the entry at seq ${seq} was written as seq ${s}`);
      }
    }
    return null;
  }
}

/** One line per problem, or the all-clear. */
export function formatReport(r: VerifyReport): string {
  if (r.problems.length === 0) return `${r.chains} chains, ${r.entries} entries verified`;
  const lines = r.problems.map((p) => `chain ${p.chainId}: ${p.kind} at seq ${p.seq} (${p.detail})`);
  return [...lines, `${r.problems.length} of ${r.chains} chains failed verification (${r.entries} entries read)`].join("\n");
}
