import { Types } from "mongoose";
import type { CareTeamInput } from "@glp1/shared";
import type { AuditTarget } from "../../audit/audited.js";
import type { CareTeamModel } from "../../auth/careTeam.model.js";
import type { UserModel } from "../../auth/user.model.js";
import { AppError } from "../../http/errors.js";
import type { ConversationModel } from "../chat/chat.model.js";
import { createUserSearch } from "./admin.search.js";

export interface CareTeamView {
  patientId: string;
  physicianIds: string[];
  conversationIds: string[];
}

/** Care teams (and the conversations they open) and the account search. Callers have already checked the role. */
export function createAdminService(deps: { users: UserModel; careTeams: CareTeamModel; conversations: ConversationModel }) {
  const { users, careTeams, conversations } = deps;

  /**
   * Set a patient's care team and open a conversation with each physician. Every write
   * is a single-document upsert, so a retry converges on the same state.
   */
  async function setCareTeam(input: CareTeamInput, target: AuditTarget): Promise<CareTeamView> {
    target.resource = "careteam";
    target.patientId = input.patientId;
    target.resourceId = input.patientId;
    const physicianIds = [...new Set(input.physicianIds)];
    const patient = await users.findOne({ _id: input.patientId, role: "patient" }, { _id: 1 }).lean();
    if (!patient) throw new AppError("VALIDATION_FAILED", "patientId does not name a patient", ["patientId"]);
    const found = await users.countDocuments({ _id: { $in: physicianIds }, role: "physician" });
    if (found !== physicianIds.length) {
      throw new AppError("VALIDATION_FAILED", "physicianIds must all name physicians", ["physicianIds"]);
    }
    const pid = new Types.ObjectId(input.patientId);
    const docIds = physicianIds.map((id) => new Types.ObjectId(id));
    await careTeams.updateOne(
      { patientId: pid },
      { $set: { physicianIds: docIds, updatedAt: new Date() }, $setOnInsert: { patientId: pid } },
      { upsert: true },
    );
    const conversationIds: string[] = [];
    for (const physicianId of docIds) {
      const conv = await openConversation(pid, physicianId);
      conversationIds.push(String(conv));
    }
    return { patientId: input.patientId, physicianIds, conversationIds };
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

  return { setCareTeam, searchUsers: createUserSearch({ users }).search };
}

export type AdminService = ReturnType<typeof createAdminService>;
