import type { DashboardRow, Reading, ServerToClientEvents } from "@glp1/shared";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { Types } from "mongoose";
import type { CareTeamModel } from "../../auth/careTeam.model.js";
import type { Logger } from "../../infra/logger.js";
import type { Notifier } from "../../realtime/notifier.js";
import { rooms } from "../../realtime/rooms.js";
import type { PatientStatsService } from "./stats.service.js";

export interface FeedOptions {
  /**
   * At most one push per this interval: a change after a quiet spell goes out at once
   * (on the next tick), and changes during a busy spell gather until the interval since
   * the last push has passed. So a dashboard hears of a change within `coalesceMs`, and
   * 500 patients changing at once make one push per interval, not 500.
   */
  coalesceMs: number;
}

/**
 * Live dashboard updates. Anything that changes a patient's row marks the patient (at
 * once, with no lookup first, so a burst is seen as the burst it is). Marks are
 * coalesced per node (a throttle: the first at once, then at most one flush per
 * `coalesceMs`, and never two at a time); at a flush the patients are grouped by the physicians of their care teams and each
 * physician's subscribed sockets get ONE `dashboard:update` with every changed row. The
 * Redis adapter delivers it to the physician's sockets on whichever node they are. Each
 * pushed row is audited per recipient before it is sent. A physician with no dashboard
 * open anywhere gets nothing computed (the dashboard loads fresh rows when opened).
 */
export function createDashboardFeed(deps: {
  careTeams: CareTeamModel;
  rowsFor: (physicianId: string, patientIds: string[]) => Promise<DashboardRow[]>;
  notifier: Notifier;
  audit: AuditWriter;
  logger: Logger;
  options: FeedOptions;
  /** Physicians with a dashboard open somewhere; others get no rows computed, pushed or audited. */
  watching?: (physicianIds: string[]) => Promise<Set<string>>;
}) {
  const { careTeams, notifier, audit, logger } = deps;
  const coalesceMs = deps.options.coalesceMs;
  /** Marked patients, each with the work (say, merging readings into its summary) the row must wait for. */
  let pending = new Map<string, Promise<unknown>[]>();
  /** When the last flush started (0: none yet), and whether one is under way. */
  let lastFlush = 0;
  let flushing = false;
  let timer: NodeJS.Timeout | null = null;
  const inflight = new Set<Promise<void>>();
  let closed = false;

  function track(job: Promise<void>) {
    inflight.add(job);
    void job.finally(() => inflight.delete(job));
  }

  /** The next flush: once the interval since the last has passed, and the last has finished. */
  function schedule(): void {
    if (timer || flushing || closed || pending.size === 0) return;
    const wait = Math.max(0, lastFlush + coalesceMs - Date.now());
    timer = setTimeout(() => track(flush()), wait);
    timer.unref();
  }

  async function flush(): Promise<void> {
    const batch = pending;
    pending = new Map();
    timer = null;
    if (closed || batch.size === 0) return;
    lastFlush = Date.now();
    flushing = true;
    try {
      await Promise.allSettled([...batch.values()].flat());
      const ids = [...batch.keys()];
      // Care teams are read at send time: a patient who left a panel is not pushed to it.
      const teams = await careTeams.find({ patientId: { $in: ids.map((id) => new Types.ObjectId(id)) } }, { patientId: 1, physicianIds: 1 }).lean();
      const byPhysician = new Map<string, string[]>();
      for (const t of teams) for (const ph of t.physicianIds) byPhysician.set(String(ph), [...(byPhysician.get(String(ph)) ?? []), String(t.patientId)]);
      const open = deps.watching ? await deps.watching([...byPhysician.keys()]) : null;
      await Promise.all([...byPhysician].filter(([physicianId]) => !open || open.has(physicianId)).map(([physicianId, patientIds]) => push(physicianId, patientIds)));
    } catch (err) {
      logger.warn({ err }, "dashboard update failed");
    } finally {
      flushing = false;
      schedule();
    }
  }

  async function push(physicianId: string, patientIds: string[]): Promise<void> {
    const rows = await deps.rowsFor(physicianId, patientIds);
    await Promise.all(
      rows.map((r) =>
        audit.record({ userId: physicianId, role: "physician", action: "dashboard:update", resource: "dashboard", resourceId: physicianId, patientId: r.patientId, outcome: "success", reason: "pushed", ip: null, userAgent: null, requestId: null }),
      ),
    );
    notifier.toRoom(rooms.dashboard(physicianId), "dashboard:update", { patients: rows });
  }

  /** Something about this patient changed (once `after` settles): their physicians' dashboards will hear of it. */
  function markPatient(patientId: string, after?: Promise<unknown>): void {
    if (closed) return;
    const jobs = pending.get(patientId) ?? [];
    if (after) jobs.push(after.catch((err: unknown) => logger.warn({ err }, "dashboard pre-update failed")));
    pending.set(patientId, jobs);
    schedule();
  }

  /** Push whatever is pending now and wait for every push (tests, shutdown). */
  async function drain(): Promise<void> {
    while (inflight.size > 0 || pending.size > 0) {
      if (pending.size > 0 && !flushing) {
        if (timer) clearTimeout(timer);
        track(flush());
      }
      await Promise.all([...inflight]);
    }
  }

  async function close(): Promise<void> {
    await drain().catch(() => undefined);
    closed = true;
  }

  return { markPatient, drain, close };
}

export type DashboardFeed = ReturnType<typeof createDashboardFeed>;

type EventName = keyof ServerToClientEvents;
type Payload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/**
 * A notifier that passes every push through and tells the dashboard about the ones that
 * change a row: new readings (also merged into the patient's summary) and alerts. The
 * features that push keep their notifier interface and know nothing of the dashboard.
 */
export function tapNotifier(inner: Notifier, deps: { feed: DashboardFeed; stats: PatientStatsService }): Notifier {
  const observe = <E extends EventName>(event: E, payload: Payload<E>) => {
    if (event === "metrics:update") {
      const { patientId, readings } = payload as { patientId: string; readings: Reading[] };
      deps.feed.markPatient(patientId, deps.stats.apply(patientId, readings));
    } else if (event === "alert:new" || event === "alert:updated") {
      const { alert } = payload as Payload<"alert:new">;
      if (alert.kind !== "break_glass") deps.feed.markPatient(alert.patientId);
    }
  };
  return {
    // Everything else (binding to the server) is the inner notifier's own.
    ...inner,
    toUsers(userIds, event, payload) {
      inner.toUsers(userIds, event, payload);
      observe(event, payload);
    },
    toRoom(room, event, payload) {
      inner.toRoom(room, event, payload);
      observe(event, payload);
    },
  };
}
