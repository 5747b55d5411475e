import { createHash, randomBytes } from "node:crypto";
import { Types } from "mongoose";
import type { AuditOutcome } from "@glp1/shared";
import { AppError } from "../http/errors.js";
import type { Logger } from "../infra/logger.js";
import type { AuditEntry, AuditModel } from "./audit.model.js";

/** What a caller says about an act; the writer adds time and the chain. */
export interface AuditInput {
  userId?: string | null;
  role?: string | null;
  action: string;
  resource: string;
  resourceId?: string | null;
  patientId?: string | null;
  outcome: AuditOutcome;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  reason?: string | null;
}

export const GENESIS_HASH = "0".repeat(64);

/** The fields the hash covers, in a fixed order. */
export function entryHash(e: Omit<AuditEntry, "hash">): string {
  const canonical = JSON.stringify([
    e.chainId,
    e.seq,
    e.prevHash,
    e.at.toISOString(),
    e.userId ? String(e.userId) : null,
    e.role,
    e.action,
    e.resource,
    e.resourceId,
    e.patientId ? String(e.patientId) : null,
    e.outcome,
    e.ip,
    e.userAgent,
    e.requestId,
    e.reason,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/** An entry as stored (the driver assigns `_id` on insert). */
export type StoredAuditEntry = AuditEntry & { _id?: Types.ObjectId };

/**
 * Told of every batch once it is durable. Runs after the callers were acknowledged and
 * never holds up or fails an audit write: a listener's error is logged and dropped.
 */
export type AuditListener = (entries: readonly StoredAuditEntry[]) => void | Promise<void>;

interface Pending {
  entry: AuditInput;
  at: Date;
  resolve: () => void;
  reject: (err: Error) => void;
}

const asObjectId = (id: string | null | undefined) => (id && Types.ObjectId.isValid(id) ? new Types.ObjectId(id) : null);
const clip = (s: string | null | undefined, n: number) => (s == null ? null : s.slice(0, n));

/**
 * The one audit writer. `record` resolves only once the entry is stored, so callers
 * acknowledge an act after its audit entry is durable; entries are written in batches
 * (group commit) and hash-chained per writer. When the buffer is full or the database
 * refuses, `record` rejects and the act fails closed.
 */
export class AuditWriter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private seq = 0;
  private prevHash = GENESIS_HASH;
  private closed = false;
  readonly chainId: string;

  constructor(
    private readonly model: AuditModel,
    private readonly opts: {
      flushMs: number;
      maxBatch: number;
      /** Above this many queued entries new acts wait (`waitForCapacity`): backpressure. */
      highWater?: number;
      /** Hard bound of the buffer: beyond it `record` refuses, so memory stays bounded. */
      maxQueue?: number;
      nodeId: string;
      logger: Logger;
    },
  ) {
    this.chainId = `${opts.nodeId}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  }

  private capacityWaiters: Array<() => void> = [];
  private listeners = new Set<AuditListener>();

  /** Hear of each committed batch (anomaly detection); returns the unsubscribe function. */
  onCommitted(listener: AuditListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(entries: readonly StoredAuditEntry[]): void {
    for (const listener of this.listeners) {
      void Promise.resolve()
        .then(() => listener(entries))
        .catch((err: unknown) => this.opts.logger.error({ err }, "audit listener failed"));
    }
  }

  /** Queued, not yet stored. */
  get backlog(): number {
    return this.queue.length;
  }

  /**
   * Backpressure for callers about to act: resolves at once while the buffer is below its
   * high-water mark, else when batches have drained it; rejects after `timeoutMs` with a
   * clear error, before anything was done. Refusals still fit under the hard bound.
   */
  waitForCapacity(timeoutMs: number): Promise<void> {
    if (this.queue.length < (this.opts.highWater ?? 10_000)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.capacityWaiters = this.capacityWaiters.filter((w) => w !== wake);
        reject(new AppError("AUDIT_UNAVAILABLE", "the server is busy; try again shortly"));
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.capacityWaiters.push(wake);
    });
  }

  private wakeWaiters(): void {
    const room = (this.opts.highWater ?? 10_000) - this.queue.length;
    if (room > 0) this.capacityWaiters.splice(0, room).forEach((w) => w());
  }

  record(entry: AuditInput): Promise<void> {
    if (this.closed) return Promise.reject(new AppError("AUDIT_UNAVAILABLE", "the audit log is closed"));
    if (this.queue.length >= (this.opts.maxQueue ?? 50_000)) {
      return Promise.reject(new AppError("AUDIT_UNAVAILABLE", "the server is busy; try again shortly"));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, at: new Date(), resolve, reject });
      this.schedule();
    });
  }

  /** Write everything queued so far (used at shutdown). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight;
      else await this.writeBatch();
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.inFlight) return; // the running batch picks up the queue when it ends
    if (this.queue.length >= this.opts.maxBatch) {
      void this.writeBatch();
      return;
    }
    // Group commit: with no batch in flight the queue goes out on the next turn of the
    // event loop (or after flushMs, if set); entries that arrive while a batch is being
    // written go out together right after it, so batches grow with the load by themselves.
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.writeBatch();
    }, this.opts.flushMs);
  }

  private writeBatch(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    const run = this.insert(batch).finally(() => {
      this.inFlight = null;
      this.wakeWaiters();
      if (this.queue.length > 0) this.schedule();
    });
    this.inFlight = run;
    return run;
  }

  private async insert(batch: Pending[]): Promise<void> {
    const startSeq = this.seq;
    const startHash = this.prevHash;
    const docs: AuditEntry[] = batch.map(({ entry: e, at }) => {
      const base: Omit<AuditEntry, "hash"> = {
        at,
        userId: asObjectId(e.userId),
        role: e.role ?? null,
        action: e.action,
        resource: e.resource,
        resourceId: e.resourceId ?? null,
        patientId: asObjectId(e.patientId),
        outcome: e.outcome,
        ip: clip(e.ip, 64),
        userAgent: clip(e.userAgent, 256),
        requestId: clip(e.requestId, 64),
        reason: clip(e.reason, 64),
        chainId: this.chainId,
        seq: ++this.seq,
        prevHash: this.prevHash,
      };
      const doc = { ...base, hash: entryHash(base) };
      this.prevHash = doc.hash;
      return doc;
    });
    try {
      await this.model.collection.insertMany(docs, { ordered: true });
      for (const p of batch) p.resolve();
      if (this.listeners.size > 0) this.notify(docs);
    } catch (err) {
      this.opts.logger.error({ err, batch: batch.length }, "audit write failed");
      await this.resync(startSeq, startHash);
      const failure = new AppError("AUDIT_UNAVAILABLE", "the audit log could not record this; nothing was done");
      for (const p of batch) p.reject(failure);
    }
  }

  /** After a failed batch, continue the chain from what really got stored. */
  private async resync(startSeq: number, startHash: string): Promise<void> {
    try {
      const last = await this.model.findOne({ chainId: this.chainId }).sort({ seq: -1 }).lean();
      this.seq = last?.seq ?? 0;
      this.prevHash = last?.hash ?? GENESIS_HASH;
    } catch {
      this.seq = startSeq;
      this.prevHash = startHash;
    }
  }
}
