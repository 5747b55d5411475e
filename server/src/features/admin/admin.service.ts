import { Types } from "mongoose";
import type { CareTeamInput, CareTeamResponse, CareTeamSetResult } from "@glp1/shared";
import type { AuditTarget } from "../../audit/audited.js";
import type { CareTeamModel } from "../../auth/careTeam.model.js";
import type { UserModel } from "../../auth/user.model.js";
import { AppError, notFound } from "../../http/errors.js";
import type { Notifier } from "../../realtime/notifier.js";
import { rooms } from "../../realtime/rooms.js";
import type { ConversationModel } from "../chat/chat.model.js";
import { createUserSearch } from "./admin.search.js";

/** What `setCareTeam` answers: the team now, its conversations, and who came and went. */
export type CareTeamView = CareTeamSetResult;

export interface AdminServiceDeps {
  users: UserModel;
  careTeams: CareTeamModel;
  conversations: ConversationModel;
  /** Tells open clients a care team changed (absent in CLI tools: nobody is connected there). */
  notifier?: Pick<Notifier, "toUsers" | "leave">;
}

/** Care teams (and the conversations they open) and the account search. Callers have already checked the role. */
export function createAdminService(deps: AdminServiceDeps) {
  const { users, careTeams, conversations, notifier } = deps;

  async function assertPatient(patientId: string): Promise<void> {
    const patient = await users.findOne({ _id: patientId, role: "patient" }, { _id: 1 }).lean();
    if (!patient) throw new AppError("VALIDATION_FAILED", "patientId does not name a patient", ["patientId"]);
  }

  /**
   * Set a patient's care team and open a conversation with each physician. Every write
   * is a single-document upsert, so a retry converges on the same state. A physician taken
   * off the team loses the patient's conversations and record at once (access is checked
   * against the team on every act); their open sockets leave the patient's rooms and are
   * told, as are the patient and anyone added, so open screens update.
   */
  async function setCareTeam(input: CareTeamInput, target: AuditTarget): Promise<CareTeamView> {
    target.resource = "careteam";
    target.patientId = input.patientId;
    target.resourceId = input.patientId;
    const physicianIds = [...new Set(input.physicianIds)];
    await assertPatient(input.patientId);
    const found = await users.countDocuments({ _id: { $in: physicianIds }, role: "physician" });
    if (found !== physicianIds.length) {
      throw new AppError("VALIDATION_FAILED", "physicianIds must all name physicians", ["physicianIds"]);
    }
    const pid = new Types.ObjectId(input.patientId);
    const docIds = physicianIds.map((id) => new Types.ObjectId(id));
    const before = await careTeams.findOneAndUpdate(
      { patientId: pid },
      { $set: { physicianIds: docIds, updatedAt: new Date() }, $setOnInsert: { patientId: pid } },
      // The document as it was (no projection: the embedded database refuses one here).
      { upsert: true, returnDocument: "before" },
    ).lean();
    const previous = (before?.physicianIds ?? []).map(String);
    const conversationIds: string[] = [];
    for (const physicianId of docIds) {
      const conv = await openConversation(pid, physicianId);
      conversationIds.push(String(conv));
    }
    const addedPhysicianIds = physicianIds.filter((id) => !previous.includes(id));
    const removedPhysicianIds = previous.filter((id) => !physicianIds.includes(id));
    if (notifier && (addedPhysicianIds.length > 0 || removedPhysicianIds.length > 0)) {
      await announce(input.patientId, addedPhysicianIds, removedPhysicianIds);
    }
    return { patientId: input.patientId, physicianIds, conversationIds, addedPhysicianIds, removedPhysicianIds };
  }

  /** Close the removed physicians' rooms on this patient and tell every client concerned. */
  async function announce(patientId: string, added: string[], removed: string[]): Promise<void> {
    if (removed.length > 0) {
      const closed = await conversations
        .find({ patientId: new Types.ObjectId(patientId), physicianId: { $in: removed.map((id) => new Types.ObjectId(id)) } }, { _id: 1 })
        .lean();
      const convRooms = closed.map((c) => rooms.conversation(String(c._id)));
      notifier!.leave(removed, [...convRooms, rooms.patient(patientId)]);
      notifier!.leave([patientId], convRooms);
      notifier!.toUsers(removed, "conversations:changed", { patientId, lostAccess: true });
    }
    notifier!.toUsers([patientId, ...added], "conversations:changed", { patientId, lostAccess: false });
  }

  /** A patient's care team as it stands, with each physician's name (admin screens). */
  async function careTeamOf(patientId: string, target: AuditTarget): Promise<CareTeamResponse> {
    target.resource = "careteam";
    target.patientId = patientId;
    target.resourceId = patientId;
    const patient = await users.findOne({ _id: patientId, role: "patient" }, { _id: 1 }).lean();
    if (!patient) throw notFound("patient");
    const team = await careTeams.findOne({ patientId: new Types.ObjectId(patientId) }, { physicianIds: 1 }).lean();
    const ids = (team?.physicianIds ?? []).map(String);
    if (ids.length === 0) return { patientId, physicians: [] };
    const docs = await users.find({ _id: { $in: ids } }, { name: 1, active: 1 });
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    const physicians = ids.flatMap((id) => {
      const u = byId.get(id);
      return u ? [{ id, name: u.name, active: u.active }] : [];
    });
    return { patientId, physicians };
  }

  async function openConversation(patientId: Types.ObjectId, physicianId: Types.ObjectId): Promise<Types.ObjectId> {
    const filter = { patientId, physicianId };
    try {
      await conversations.updateOne(filter, { $setOnInsert: { ...filter, createdAt: new Date(), lastMessageAt: null, patientReadId: null, physicianReadId: null, toPhysician: 0, toPatient: 0, physicianReadCount: 0, patientReadCount: 0 } }, { upsert: true });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err; // a concurrent upsert won
    }
    const conv = await conversations.findOne(filter, { _id: 1 }).lean();
    return conv!._id;
  }

  return { setCareTeam, careTeamOf, searchUsers: createUserSearch({ users }).search };
}

export type AdminService = ReturnType<typeof createAdminService>;
