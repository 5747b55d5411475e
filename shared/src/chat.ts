import { z } from "zod";
import { objectIdSchema } from "./auth.js";

export const MESSAGE_MAX_LENGTH = 4000;
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;

export const conversationRefSchema = z.strictObject({ conversationId: objectIdSchema });

export const chatSendSchema = z.strictObject({
  conversationId: objectIdSchema,
  body: z
    .string()
    .max(MESSAGE_MAX_LENGTH, { message: `must be at most ${MESSAGE_MAX_LENGTH} characters` })
    .refine((b) => b.trim().length > 0, { message: "must not be empty" }),
  /** Chosen by the sender's client; a resend with the same id returns the stored message. */
  clientId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { message: "must be 8-64 url-safe characters" }),
});
export type ChatSendInput = z.infer<typeof chatSendSchema>;

export const chatReadSchema = z.strictObject({
  conversationId: objectIdSchema,
  messageId: objectIdSchema,
});
export type ChatReadInput = z.infer<typeof chatReadSchema>;

export const historyQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(HISTORY_MAX_LIMIT).default(HISTORY_DEFAULT_LIMIT),
  before: objectIdSchema.optional(),
});
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export interface ChatMessage {
  id: string;
  conversationId: string;
  senderId: string;
  body: string;
  clientId: string;
  createdAt: string;
}

export interface ConversationSummary {
  id: string;
  patientId: string;
  physicianId: string;
  patientName: string;
  physicianName: string;
  unread: number;
  lastMessageAt: string | null;
}

/**
 * `details.reason` of the FORBIDDEN answer to a participant of a conversation whose
 * physician is no longer on the patient's care team: the conversation is closed (its
 * history is kept, but neither side may read or write it any more).
 */
export const CONVERSATION_CLOSED = "CARE_TEAM_ENDED";
