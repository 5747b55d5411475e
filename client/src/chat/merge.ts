/**
 * Pure helpers for keeping a conversation's messages in order without duplicates, whichever
 * way they arrive (join history, REST history, `chat:message` pushes, send acks), and for
 * showing the user's own not-yet-acknowledged messages after them.
 */
import type { ChatMessage } from "@glp1/shared";

/** sent: stored by the server; sending: in flight; queued: not acknowledged, resent on reconnect; failed: refused. */
export type DeliveryState = "sent" | "sending" | "queued" | "failed";

/** A message the user wrote that the server has not acknowledged yet. Memory only (PHI). */
export interface PendingMessage {
  clientId: string;
  conversationId: string;
  body: string;
  createdAt: string;
  state: Exclude<DeliveryState, "sent">;
  error?: string;
}

export interface ViewMessage {
  /** Stable across pending → stored, for React keys. */
  key: string;
  id: string | null;
  clientId: string;
  senderId: string;
  body: string;
  createdAt: string;
  state: DeliveryState;
  error?: string;
}

function compare(a: ChatMessage, b: ChatMessage): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Stored messages plus new ones: deduplicated by id (a later copy wins), oldest first. */
export function mergeMessages(stored: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return stored as ChatMessage[];
  const byId = new Map<string, ChatMessage>();
  for (const m of stored) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort(compare);
}

/** The list to render: stored messages, then the sender's pending ones not yet stored. */
export function visibleMessages(
  stored: readonly ChatMessage[],
  pending: readonly PendingMessage[],
  myId: string,
): ViewMessage[] {
  const myClientIds = new Set<string>();
  const out: ViewMessage[] = stored.map((m) => {
    if (m.senderId === myId) myClientIds.add(m.clientId);
    return {
      key: `${m.senderId}:${m.clientId || m.id}`,
      id: m.id,
      clientId: m.clientId,
      senderId: m.senderId,
      body: m.body,
      createdAt: m.createdAt,
      state: "sent",
    };
  });
  for (const p of pending) {
    if (myClientIds.has(p.clientId)) continue;
    out.push({
      key: `${myId}:${p.clientId}`,
      id: null,
      clientId: p.clientId,
      senderId: myId,
      body: p.body,
      createdAt: p.createdAt,
      state: p.state,
      ...(p.error === undefined ? {} : { error: p.error }),
    });
  }
  return out;
}

/** A url-safe id for `chat:send` (32 hex characters); works outside secure contexts too. */
export function newClientId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
