import type { AnomalyQuery, AnomalyView, CloseAnomalyInput } from "@glp1/shared";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import { requireRole } from "../../auth/policy.js";
import { AppError, notFound } from "../../http/errors.js";
import type { AnomalyDetector } from "./anomalies.detector.js";
import { type AnomalyModel, toAnomalyView } from "./anomalies.model.js";

/** Admin review of anomalies: list, and close with a resolution. Nothing is ever deleted. */
export function createAnomalyService(deps: { anomalies: AnomalyModel; detector: Pick<AnomalyDetector, "reset"> }) {
  const { anomalies, detector } = deps;

  async function list(actor: Actor, q: AnomalyQuery): Promise<AnomalyView[]> {
    requireRole(actor, "admin");
    const docs = await anomalies
      .find(q.status ? { status: q.status } : {}, { openKey: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .limit(q.limit)
      .lean();
    return docs.map(toAnomalyView);
  }

  /** Close an open anomaly (compare-and-set on its status); the rule's window restarts for that subject. */
  async function close(actor: Actor, id: string, input: CloseAnomalyInput, target: AuditTarget): Promise<AnomalyView> {
    requireRole(actor, "admin");
    target.resourceId = id;
    target.reason = input.resolution.toUpperCase();
    const _id = new Types.ObjectId(id);
    const r = await anomalies.updateOne(
      { _id, status: "open" },
      { $set: { status: "closed", closedBy: new Types.ObjectId(actor.userId), closedAt: new Date(), resolution: input.resolution }, $unset: { openKey: "" } },
    );
    const doc = await anomalies.findById(_id, { openKey: 0 }).lean();
    if (!doc) throw notFound("anomaly");
    if (r.modifiedCount === 0) throw new AppError("CONFLICT", "this anomaly is already closed");
    await detector.reset(doc.rule, doc.subject);
    return toAnomalyView(doc);
  }

  return { list, close };
}

export type AnomalyService = ReturnType<typeof createAnomalyService>;
