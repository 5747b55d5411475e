import { Router } from "express";
import { PATIENT_LOOKUP_MAX, type PatientLookupInput, type PatientLookupResult, patientLookupSchema } from "@glp1/shared";
import { type Actor, type AuditTarget, audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { requireRole } from "../../auth/policy.js";
import type { UserModel } from "../../auth/user.model.js";
import { forbidden, parseInput } from "../../http/errors.js";
import { actorOf, metaOf, requireAuth } from "../../http/request.js";
import { classifyQuery, foldName } from "../admin/index.js";

/**
 * Finding the patient to break the glass for, by what an emergency physician is told: an
 * exact email, the full name (no prefixes, no browsing) or the record id (to see whose it is). Minimum necessary: the answer
 * is id and name only, of active patients, and never anything clinical. Names are sealed
 * at rest, so they are opened and compared here; emails go through their blind index.
 */
export function createPatientLookup(deps: { users: UserModel; emailIndex: (email: string) => string }) {
  const { users } = deps;

  async function find(actor: Actor, input: PatientLookupInput, target: AuditTarget): Promise<PatientLookupResult[]> {
    target.resource = "patient";
    if (actor.role !== "physician") throw forbidden();
    const kind = classifyQuery(input.q);
    target.reason = `BY_${kind.match.toUpperCase()}`;
    const active = { role: "patient" as const, active: true };
    let hits: { _id: unknown; name: string }[];
    if (kind.match === "email") {
      hits = await users.find({ ...active, emailIndex: deps.emailIndex(kind.email) }, { name: 1 });
    } else if (kind.match === "id") {
      hits = await users.find({ ...active, _id: kind.id }, { name: 1 });
    } else {
      const wanted = foldName(input.q);
      hits = (await users.find(active, { name: 1 })).filter((u) => foldName(u.name) === wanted);
    }
    return hits
      .map((u) => ({ id: String(u._id), name: u.name }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
      .slice(0, PATIENT_LOOKUP_MAX);
  }

  return { find };
}

/**
 * `POST /api/breakglass/patients/search {q}` (physician) → `{patients:[{id, name}]}`; mounted
 * at /breakglass. A POST keeps the name or email out of the URL. The search is audited; each
 * patient it names is audited against that patient's record (on the search's entry when
 * there is one match, else one `SEARCH_RESULT` entry each), so it shows in the patient's
 * accounting of disclosures and in the bulk-access anomaly rules.
 */
export function createPatientLookupRoutes(deps: { users: UserModel; auth: { emailIndex(email: string): string }; audit: AuditWriter }): Router {
  const lookup = createPatientLookup({ users: deps.users, emailIndex: (e) => deps.auth.emailIndex(e) });
  const router = Router();
  router.post("/patients/search", requireAuth, async (req, res) => {
    const meta = metaOf(req);
    const patients = await audited(deps.audit, "patient:search", actorOf(req), meta, { resource: "patient" }, async (target) => {
      const actor = requireRole(actorOf(req), "physician");
      const found = await lookup.find(actor, parseInput(patientLookupSchema, req.body), target);
      if (found.length === 1) {
        target.resourceId = target.patientId = found[0]!.id;
      } else {
        await Promise.all(
          found.map((p) =>
            deps.audit.record({ ...meta, userId: actor.userId, role: actor.role, action: "patient:search", resource: "patient", resourceId: p.id, patientId: p.id, outcome: "success", reason: "SEARCH_RESULT" }),
          ),
        );
      }
      return found;
    });
    res.json({ patients });
  });
  return router;
}
