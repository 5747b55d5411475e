import type { ErrorBody } from "./errors.js";
import type { SessionEndReason } from "./auth.js";
import type { ChatMessage, ChatReadInput, ChatSendInput } from "./chat.js";
import type { AlertView, PatientInstruction } from "./clinical/alerts.js";
import type { Reading, ReportMetricsInput } from "./clinical/metrics.js";
import type { DashboardRow } from "./dashboard.js";
import type { TriageRoutedNotice, TriageUpdate } from "./triage.js";
import type { AnomalyView } from "./compliance.js";

/** A care-team task (intake review, refill request); no PHI inside. */
export interface TaskNotice {
  id: string;
  patientId: string;
  kind: string;
  refId: string;
  status: "open" | "done";
  createdAt: string;
}

/** `conversations:changed`: which patient's care team changed, and whether the recipient lost access. */
export interface ConversationsChanged {
  patientId: string;
  lostAccess: boolean;
}

/** Every acknowledgement has this shape. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckFn<T> = (ack: Ack<T>) => void;

export interface ClientToServerEvents {
  "chat:join": (payload: { conversationId: string }, ack: AckFn<{ messages: ChatMessage[] }>) => void;
  "chat:send": (payload: ChatSendInput, ack: AckFn<{ message: ChatMessage }>) => void;
  "chat:typing": (payload: { conversationId: string }, ack: AckFn<Record<string, never>>) => void;
  "chat:read": (payload: ChatReadInput, ack: AckFn<Record<string, never>>) => void;
  "metrics:subscribe": (payload: { patientId: string }, ack: AckFn<Record<string, never>>) => void;
  "metrics:unsubscribe": (payload: { patientId: string }, ack: AckFn<Record<string, never>>) => void;
  "metrics:report": (payload: ReportMetricsInput, ack: AckFn<{ readings: Reading[]; instructions: PatientInstruction[] }>) => void;
  "alert:ack": (payload: { alertId: string }, ack: AckFn<{ alert: AlertView }>) => void;
  /** Physician: receive `dashboard:update` for every patient of their panel. */
  "dashboard:subscribe": (payload: Record<string, never>, ack: AckFn<Record<string, never>>) => void;
  /** Support: receive `triage:update` for the queue. */
  "triage:subscribe": (payload: Record<string, never>, ack: AckFn<Record<string, never>>) => void;
}

export interface ServerToClientEvents {
  "chat:message": (payload: { message: ChatMessage }) => void;
  "chat:typing": (payload: { conversationId: string; userId: string }) => void;
  "chat:read": (payload: { conversationId: string; userId: string; messageId: string }) => void;
  /** Just before the server ends a socket whose session ended; `reason` says why. */
  "session:expired": (payload: { reason: SessionEndReason }) => void;
  /**
   * A patient's care team changed: to the patient and to every physician added or removed.
   * Refetch `GET /api/conversations`. `lostAccess` (to a removed physician): that patient's
   * conversations and record are closed to you now; stop asking for them.
   */
  "conversations:changed": (payload: ConversationsChanged) => void;
  "metrics:update": (payload: { patientId: string; readings: Reading[] }) => void;
  "alert:new": (payload: { alert: AlertView }) => void;
  "alert:updated": (payload: { alert: AlertView }) => void;
  /** To the patient: what to do now (988, 911) after a crisis red flag. */
  "alert:instructions": (payload: { instructions: PatientInstruction[] }) => void;
  "task:new": (payload: { task: TaskNotice }) => void;
  /** The rows of a physician's panel that changed, coalesced over a short window. */
  "dashboard:update": (payload: { patients: DashboardRow[] }) => void;
  "triage:update": (payload: TriageUpdate) => void;
  /** To a physician: support routed a conversation to them. */
  "triage:routed": (payload: TriageRoutedNotice) => void;
  /** To every admin: the audit stream tripped an anomaly rule (one per rule and subject until closed). */
  "anomaly:new": (payload: { anomaly: AnomalyView }) => void;
}

export type ClientEventName = keyof ClientToServerEvents;
