import { SYSTEM_SENDER_ID } from "@glp1/shared";
import { Types } from "mongoose";
import { type Batcher, createBatcher } from "../../infra/batch.js";
import type { Conversation, ConversationModel, ConversationRef, MessageModel } from "./chat.model.js";

/**
 * Unread counts without counting messages on every read of them. Each conversation keeps,
 * per side, how many messages that side did not send (`toPhysician`, `toPatient`) and how
 * many of them it has read. Listing conversations and building dashboard rows (for a
 * whole panel at once) then cost no query on `messages`, which grows without bound; only
 * moving a read mark to an older message counts, within its conversation.
 */

type Side = "patient" | "physician";

/**
 * Whether a message by `senderId` is unread news for a side: never its own; and for the
 * physician, not the clinic's automatic replies to the patient (after-hours), which would
 * otherwise show as unread every night. Support's messages count for both sides.
 */
const countsFor = (conv: { patientId?: unknown; physicianId?: unknown; [k: string]: unknown }, side: Side, senderId: string) =>
  side === "physician" ? senderId !== String(conv.physicianId) && senderId !== SYSTEM_SENDER_ID : senderId !== String(conv.patientId);

const inc = (conv: ConversationRef, senderId: string) => ({
  toPhysician: countsFor(conv, "physician", senderId) ? 1 : 0,
  toPatient: countsFor(conv, "patient", senderId) ? 1 : 0,
});

/** Which side of the conversation `userId` is on (null: neither, e.g. support). */
export function sideOf(conv: ConversationRef, userId: string): Side | null {
  if (String(conv.patientId) === userId) return "patient";
  if (String(conv.physicianId) === userId) return "physician";
  return null;
}

/** Messages `side` has not read yet (never below zero). */
export function unreadOf(conv: Partial<Conversation>, side: Side): number {
  const total = (side === "patient" ? conv.toPatient : conv.toPhysician) ?? 0;
  const read = (side === "patient" ? conv.patientReadCount : conv.physicianReadCount) ?? 0;
  return Math.max(0, total - read);
}

/**
 * Count a stored message into its conversation: one update moves the counters and the
 * last-message marks (it replaces the `lastMessageAt` update a message always cost). The
 * message is stored first, so a resend (refused by the unique `(senderId, clientId)`
 * index) never moves a counter. A crash between the two writes leaves that one message
 * out of the unread count; it is stored and shown all the same.
 */
export async function countMessage(
  deps: { conversations: ConversationModel },
  conv: ConversationRef,
  msg: { _id: Types.ObjectId; senderId: Types.ObjectId | string; createdAt: Date },
): Promise<void> {
  let count = counting.get(deps.conversations);
  if (!count) {
    count = countInBatches(deps.conversations);
    counting.set(deps.conversations, count);
  }
  await count({ conv, msg });
}

type Counted = { conv: ConversationRef; msg: { _id: Types.ObjectId; senderId: Types.ObjectId | string; createdAt: Date } };

/** One batcher per conversations model (per app): messages counted together share a `bulkWrite`. */
const counting = new WeakMap<ConversationModel, Batcher<Counted, void>>();

/** Messages of one conversation in a batch fold into one update (sums and maxima commute). */
function countInBatches(conversations: ConversationModel): Batcher<Counted, void> {
  return createBatcher(async (items: Counted[]) => {
    const byConv = new Map<string, { _id: Types.ObjectId; toPhysician: number; toPatient: number; at: Date; id: Types.ObjectId }>();
    for (const { conv, msg } of items) {
      const add = inc(conv, String(msg.senderId));
      const cur = byConv.get(String(conv._id));
      if (!cur) {
        byConv.set(String(conv._id), { _id: conv._id, ...add, at: msg.createdAt, id: msg._id });
        continue;
      }
      cur.toPhysician += add.toPhysician;
      cur.toPatient += add.toPatient;
      if (msg.createdAt > cur.at) cur.at = msg.createdAt;
      if (String(msg._id) > String(cur.id)) cur.id = msg._id;
    }
    await conversations.collection.bulkWrite(
      [...byConv.values()].map((c) => ({
        updateOne: {
          filter: { _id: c._id },
          update: { $inc: { toPhysician: c.toPhysician, toPatient: c.toPatient }, $max: { lastMessageAt: c.at, lastMessageId: c.id } },
        },
      })),
      { ordered: false },
    );
    return items.map(() => undefined);
  });
}

/**
 * Move `side`'s read mark forward to `msg` (never back), with the read count it stands
 * for. Reading the newest message reads everything counted so far; an older one counts
 * the conversation's messages up to it (an indexed query on `conversationId`).
 */
export async function markReadCounted(
  deps: { conversations: ConversationModel; messages: MessageModel },
  conv: ConversationRef,
  side: Side,
  msg: { _id: Types.ObjectId },
): Promise<void> {
  const idField = side === "patient" ? "patientReadId" : "physicianReadId";
  const countField = side === "patient" ? "patientReadCount" : "physicianReadCount";
  const totalField = side === "patient" ? "toPatient" : "toPhysician";
  const fresh = await deps.conversations.collection.findOne({ _id: conv._id });
  let count: number;
  if (fresh?.lastMessageId && String(msg._id) >= String(fresh.lastMessageId)) {
    count = Number(fresh[totalField] ?? 0);
  } else {
    const reader = side === "patient" ? conv.patientId : conv.physicianId;
    const notCounted = side === "physician" ? [reader, new Types.ObjectId(SYSTEM_SENDER_ID)] : [reader];
    count = await deps.messages.countDocuments({ conversationId: conv._id, senderId: { $nin: notCounted }, _id: { $lte: msg._id } });
  }
  await deps.conversations.updateOne({ _id: conv._id, $or: [{ [idField]: null }, { [idField]: { $lt: msg._id } }] }, { $set: { [idField]: msg._id } });
  await deps.conversations.collection.updateOne({ _id: conv._id }, { $max: { [countField]: count } });
}

/**
 * Conversations written before the counters existed (or seeded raw) get them from one
 * pass over the messages. Idempotent; runs at start-up and costs nothing once done.
 */
export async function backfillCounters(deps: { conversations: ConversationModel; messages: MessageModel }): Promise<number> {
  const stale = await deps.conversations.collection
    .find({ toPhysician: { $exists: false } }, { projection: { patientId: 1, physicianId: 1, patientReadId: 1, physicianReadId: 1 } })
    .toArray();
  if (stale.length === 0) return 0;
  const byId = new Map(stale.map((c) => [String(c._id), { c, toPhysician: 0, toPatient: 0, physicianRead: 0, patientRead: 0, last: null as unknown }]));
  const cursor = deps.messages.collection.find(
    stale.length <= 50 ? { conversationId: { $in: stale.map((c) => c._id) } } : {},
    { projection: { conversationId: 1, senderId: 1 } },
  );
  for await (const m of cursor) {
    const e = byId.get(String(m.conversationId));
    if (!e) continue;
    const sender = String(m.senderId);
    if (e.last === null || String(m._id) > String(e.last)) e.last = m._id;
    if (countsFor(e.c, "physician", sender)) {
      e.toPhysician++;
      if (e.c.physicianReadId && String(m._id) <= String(e.c.physicianReadId)) e.physicianRead++;
    }
    if (countsFor(e.c, "patient", sender)) {
      e.toPatient++;
      if (e.c.patientReadId && String(m._id) <= String(e.c.patientReadId)) e.patientRead++;
    }
  }
  for (const e of byId.values()) {
    await deps.conversations.collection.updateOne(
      { _id: e.c._id, toPhysician: { $exists: false } },
      { $set: { toPhysician: e.toPhysician, toPatient: e.toPatient, physicianReadCount: e.physicianRead, patientReadCount: e.patientRead, lastMessageId: e.last } },
    );
  }
  return stale.length;
}
