import { z } from "zod";
import { objectIdSchema } from "./auth.js";

export const MESSAGE_MAX_LENGTH = 4000;
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;

export const conversationRefSchema = z.strictObject({ conversationId: objectIdSchema });

/** Zero-width characters: a message of nothing else is empty on screen. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
/**
 * Bidirectional embeddings, overrides and isolates (they can make "gnp.exe" read as
 * "exe.png"), and control characters other than tab and newline. The marks (U+200E/F)
 * that right-to-left writers use are allowed.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SPOOFING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Text shown to others (messages, prescription directions) may not hold these. */
export const hasSpoofingCharacters = (text: string): boolean => SPOOFING.test(text);

/** Nothing a reader would see: only spaces, newlines and zero-width characters. */
export const isBlankMessage = (body: string): boolean => body.replace(INVISIBLE, "").trim().length === 0;

export const chatSendSchema = z.strictObject({
  conversationId: objectIdSchema,
  body: z
    .string()
    .max(MESSAGE_MAX_LENGTH, { message: `must be at most ${MESSAGE_MAX_LENGTH} characters` })
    .refine((b) => !isBlankMessage(b), { message: "must not be empty" })
    .refine((b) => !hasSpoofingCharacters(b), { message: "must not contain control or text-direction override characters" }),
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
