import type { ErrorBody } from "./errors.js";
import type { ChatMessage, ChatReadInput, ChatSendInput } from "./chat.js";

/** Every acknowledgement has this shape. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckFn<T> = (ack: Ack<T>) => void;

export interface ClientToServerEvents {
  "chat:join": (payload: { conversationId: string }, ack: AckFn<{ messages: ChatMessage[] }>) => void;
  "chat:send": (payload: ChatSendInput, ack: AckFn<{ message: ChatMessage }>) => void;
  "chat:typing": (payload: { conversationId: string }, ack: AckFn<Record<string, never>>) => void;
  "chat:read": (payload: ChatReadInput, ack: AckFn<Record<string, never>>) => void;
}

export interface ServerToClientEvents {
  "chat:message": (payload: { message: ChatMessage }) => void;
  "chat:typing": (payload: { conversationId: string; userId: string }) => void;
  "chat:read": (payload: { conversationId: string; userId: string; messageId: string }) => void;
  "session:expired": (payload: Record<string, never>) => void;
}

export type ClientEventName = keyof ClientToServerEvents;
