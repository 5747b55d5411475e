import { type Connection, type HydratedDocument, type Model, Schema, type Types } from "mongoose";
import type { ChatMessage } from "@glp1/shared";
import { encryptionPlugin } from "../../infra/crypto/encryption.plugin.js";
import type { FieldCipher } from "../../infra/crypto/fieldCipher.js";

/** One patient and one of their physicians. */
export interface Conversation {
  _id: Types.ObjectId;
  patientId: Types.ObjectId;
  physicianId: Types.ObjectId;
  createdAt: Date;
  lastMessageAt: Date | null;
  /** The newest message's id (a read mark on it reads everything). */
  lastMessageId?: Types.ObjectId | null;
  /** The newest message each side has read (ObjectIds order by time). */
  patientReadId: Types.ObjectId | null;
  physicianReadId: Types.ObjectId | null;
  /**
   * Unread counters, so listing conversations and dashboard rows never counts messages:
   * how many messages each side did not send, and how many of those it has read.
   * Unread for the physician = `toPhysician - physicianReadCount` (likewise the patient).
   */
  toPhysician: number;
  toPatient: number;
  physicianReadCount: number;
  patientReadCount: number;
}

export interface Message {
  _id: Types.ObjectId;
  conversationId: Types.ObjectId;
  senderId: Types.ObjectId;
  /** PHI, sealed at rest. */
  body: string;
  /** The sender's idempotency key: one stored message per (sender, clientId). */
  clientId: string;
  createdAt: Date;
}

/** Who a conversation is between: fixed for its whole life, so safe to cache. */
export type ConversationRef = Pick<Conversation, "_id" | "patientId" | "physicianId">;

export type ConversationModel = Model<Conversation>;
export type MessageModel = Model<Message>;
export type MessageDoc = HydratedDocument<Message>;

export function createChatModels(conn: Connection, cipher: FieldCipher) {
  if (conn.models.Conversation) {
    return { conversations: conn.models.Conversation as ConversationModel, messages: conn.models.Message as MessageModel };
  }
  const conversationSchema = new Schema<Conversation>(
    {
      patientId: { type: Schema.Types.ObjectId, required: true },
      physicianId: { type: Schema.Types.ObjectId, required: true },
      createdAt: { type: Date, required: true, default: () => new Date() },
      lastMessageAt: { type: Date, default: null },
      lastMessageId: { type: Schema.Types.ObjectId, default: null },
      patientReadId: { type: Schema.Types.ObjectId, default: null },
      physicianReadId: { type: Schema.Types.ObjectId, default: null },
      toPhysician: { type: Number, default: 0 },
      toPatient: { type: Number, default: 0 },
      physicianReadCount: { type: Number, default: 0 },
      patientReadCount: { type: Number, default: 0 },
    },
    { collection: "conversations", versionKey: false },
  );
  conversationSchema.index({ patientId: 1, physicianId: 1 }, { unique: true });
  conversationSchema.index({ physicianId: 1 });

  const messageSchema = new Schema<Message>(
    {
      conversationId: { type: Schema.Types.ObjectId, required: true },
      senderId: { type: Schema.Types.ObjectId, required: true },
      body: { type: String, required: true },
      clientId: { type: String, required: true },
      createdAt: { type: Date, required: true, default: () => new Date() },
    },
    { collection: "messages", versionKey: false },
  );
  messageSchema.index({ senderId: 1, clientId: 1 }, { unique: true });
  messageSchema.index({ conversationId: 1, _id: -1 });
  messageSchema.plugin(encryptionPlugin, { cipher, fields: ["body"] });

  return {
    conversations: conn.model<Conversation>("Conversation", conversationSchema),
    messages: conn.model<Message>("Message", messageSchema),
  };
}

export function toChatMessage(m: Message): ChatMessage {
  return {
    id: String(m._id),
    conversationId: String(m.conversationId),
    senderId: String(m.senderId),
    body: m.body,
    clientId: m.clientId,
    createdAt: m.createdAt.toISOString(),
  };
}
