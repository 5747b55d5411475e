import { Types } from "mongoose";
import { type ChatMessage, type ChatReadInput, type ChatSendInput, CONVERSATION_CLOSED, type ConversationSummary, type HistoryQuery } from "@glp1/shared";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { Access } from "../../auth/access.js";
import type { CareTeamModel } from "../../auth/careTeam.model.js";
import { assertParticipant } from "../../auth/policy.js";
import type { UserModel } from "../../auth/user.model.js";
import { AppError, forbidden, notFound } from "../../http/errors.js";
import { createBatcher } from "../../infra/batch.js";
import { insertSealed } from "../../infra/crypto/encryption.plugin.js";
import { type ConversationModel, type ConversationRef, type Message, type MessageModel, toChatMessage } from "./chat.model.js";
import { countMessage, markReadCounted, sideOf, unreadOf } from "./counters.js";

/** Other features that follow the chat (triage, the dashboard); called after the act is stored. */
export interface ChatHooks {
  afterSend?: (conv: ConversationRef, message: ChatMessage) => Promise<void>;
  afterRead?: (conv: ConversationRef, readerId: string) => Promise<void>;
}

export interface ChatServiceDeps {
  users: UserModel;
  conversations: ConversationModel;
  messages: MessageModel;
  careTeams: CareTeamModel;
  /** Care-team membership, read from the database on every act (never cached: teams change). */
  access: Pick<Access, "isInCareTeam">;
  hooks?: ChatHooks;
}

/** A participant's conversation whose physician has left the patient's care team. */
const closedConversation = () =>
  new AppError("FORBIDDEN", "this conversation is closed: the physician is no longer on the patient's care team", undefined, { reason: CONVERSATION_CLOSED });

/**
 * Conversations and messages. Every function takes the acting user, checks that they
 * take part in the conversation and that its physician is on the patient's care team
 * (a physician taken off the team loses the conversation; its history stays stored), and
 * names the patient on the audit target.
 */
export function createChatService(deps: ChatServiceDeps) {
  const { users, conversations, messages } = deps;
  /** Messages sent together are stored together: one sealed `insertMany` (infra/batch.ts). */
  const insertMessage = createBatcher((items: Array<Pick<Message, "conversationId" | "senderId" | "body" | "clientId">>) => insertSealed(messages, items));

  /**
   * Who each conversation is between never changes, so it is looked up once per node
   * (a bounded map, oldest out first): every chat event needs it for authorization.
   */
  const participants = new Map<string, ConversationRef>();
  async function findConversation(conversationId: string): Promise<ConversationRef | null> {
    const hit = participants.get(conversationId);
    if (hit) return hit;
    const conv = await conversations.findById(conversationId, { patientId: 1, physicianId: 1 }).lean();
    if (!conv) return null;
    const ref: ConversationRef = { _id: conv._id, patientId: conv.patientId, physicianId: conv.physicianId };
    participants.set(conversationId, ref);
    if (participants.size > 20_000) participants.delete(participants.keys().next().value!);
    return ref;
  }

  async function openConversation(actor: Actor, conversationId: string, target: AuditTarget): Promise<ConversationRef> {
    target.resource = "conversation";
    target.resourceId = conversationId;
    const conv = await findConversation(conversationId);
    // An unknown id gets the same answer as someone else's, so ids cannot be probed.
    if (!conv) throw forbidden();
    target.patientId = String(conv.patientId);
    assertParticipant(actor, conv);
    // Who takes part is fixed; whether the physician still cares for the patient is not.
    if (!(await deps.access.isInCareTeam(String(conv.physicianId), String(conv.patientId)))) throw closedConversation();
    return conv;
  }

  /** The other participant(s) of a conversation, who receive its pushes. */
  const recipientsOf = (conv: ConversationRef, actor: Actor) =>
    [String(conv.patientId), String(conv.physicianId)].filter((id) => id !== actor.userId);

  async function list(actor: Actor): Promise<ConversationSummary[]> {
    const filter =
      actor.role === "patient" ? { patientId: actor.userId } : actor.role === "physician" ? { physicianId: actor.userId } : null;
    if (!filter) return [];
    const convs = await current(actor, await conversations.find(filter).lean());
    const ids = [...new Set(convs.flatMap((c) => [String(c.patientId), String(c.physicianId)]))];
    const people = new Map((await users.find({ _id: { $in: ids } })).map((u) => [String(u._id), u.name]));
    const side = actor.role === "patient" ? "patient" : "physician";
    const summaries = convs.map((c) => ({
      id: String(c._id),
      patientId: String(c.patientId),
      physicianId: String(c.physicianId),
      patientName: people.get(String(c.patientId)) ?? "",
      physicianName: people.get(String(c.physicianId)) ?? "",
      unread: unreadOf(c, side),
      lastMessageAt: c.lastMessageAt ? c.lastMessageAt.toISOString() : null,
    }));
    return summaries.sort((a, b) => (b.lastMessageAt ?? "").localeCompare(a.lastMessageAt ?? ""));
  }

  /** Only the conversations whose physician is on the patient's care team now (one query). */
  async function current<C extends { patientId: Types.ObjectId; physicianId: Types.ObjectId }>(actor: Actor, convs: C[]): Promise<C[]> {
    if (convs.length === 0) return convs;
    if (actor.role === "patient") {
      const team = await deps.careTeams.findOne({ patientId: new Types.ObjectId(actor.userId) }, { physicianIds: 1 }).lean();
      const onTeam = new Set((team?.physicianIds ?? []).map(String));
      return convs.filter((c) => onTeam.has(String(c.physicianId)));
    }
    const patientIds = [...new Set(convs.map((c) => String(c.patientId)))].map((id) => new Types.ObjectId(id));
    const me = new Types.ObjectId(actor.userId);
    const mine = new Set<string>();
    // By the indexed patientId, in chunks the embedded database still pushes down (docs/ferretdb.md).
    for (let i = 0; i < patientIds.length; i += 500) {
      const teams = await deps.careTeams.find({ patientId: { $in: patientIds.slice(i, i + 500) }, physicianIds: me }, { patientId: 1 }).lean();
      for (const t of teams) mine.add(String(t.patientId));
    }
    return convs.filter((c) => mine.has(String(c.patientId)));
  }

  /** Messages oldest first; `before` pages back from a message id. */
  async function history(actor: Actor, conversationId: string, q: HistoryQuery, target: AuditTarget): Promise<ChatMessage[]> {
    const conv = await openConversation(actor, conversationId, target);
    const filter: Record<string, unknown> = { conversationId: conv._id };
    if (q.before) filter._id = { $lt: new Types.ObjectId(q.before) };
    const docs = await messages.find(filter).sort({ _id: -1 }).limit(q.limit);
    return docs.reverse().map(toChatMessage);
  }

  /**
   * Store a message (sealed) and return it. A resend with the same clientId returns the
   * message stored the first time, so a retried send is never doubled.
   */
  async function send(
    actor: Actor,
    input: ChatSendInput,
    target: AuditTarget,
  ): Promise<{ message: ChatMessage; created: boolean; recipients: string[] }> {
    const conv = await openConversation(actor, input.conversationId, target);
    const recipients = recipientsOf(conv, actor);
    const existing = async () => {
      const prior = await messages.findOne({ senderId: actor.userId, clientId: input.clientId });
      if (!prior) return null;
      if (String(prior.conversationId) !== input.conversationId) {
        throw new AppError("CONFLICT", "this clientId was already used for another conversation");
      }
      return prior;
    };
    // Insert first and let the unique (senderId, clientId) index catch a resend: looking the
    // clientId up before every send would cost a query per message for a rare case.
    let doc;
    let created = true;
    try {
      doc = await insertMessage({
        conversationId: conv._id,
        senderId: new Types.ObjectId(actor.userId),
        body: input.body,
        clientId: input.clientId,
      });
    } catch (err) {
      // A resend (or two racing): the unique index let the first through; answer with it.
      const prior = (err as { code?: number }).code === 11000 ? await existing() : null;
      if (!prior) throw err;
      doc = prior;
      created = false;
    }
    target.resource = "message";
    target.resourceId = String(doc._id);
    const message = toChatMessage(doc);
    // Independent of each other: the counters, and what other features do with the message.
    if (created) await Promise.all([countMessage(deps, conv, doc), deps.hooks?.afterSend?.(conv, message)]);
    return { message, created, recipients };
  }

  async function typing(actor: Actor, conversationId: string, target: AuditTarget): Promise<void> {
    await openConversation(actor, conversationId, target);
  }

  /** Move the reader's mark forward (never back) to `messageId`. */
  async function markRead(actor: Actor, input: ChatReadInput, target: AuditTarget): Promise<void> {
    const conv = await openConversation(actor, input.conversationId, target);
    const msg = await messages.findOne({ _id: input.messageId }, { _id: 1, conversationId: 1 }).lean();
    if (!msg || String(msg.conversationId) !== String(conv._id)) throw notFound("message");
    const side = sideOf(conv, actor.userId);
    if (side) await markReadCounted(deps, conv, side, msg);
    await deps.hooks?.afterRead?.(conv, actor.userId);
  }

  return { list, history, send, typing, markRead, openConversation };
}

export type ChatService = ReturnType<typeof createChatService>;
