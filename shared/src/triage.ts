import { z } from "zod";
import { objectIdSchema } from "./auth.js";

/**
 * Support triage: which patient messages need routing, the red-flag words that make a
 * message urgent, the canned answers support may send, and what support sees.
 *
 * Support is not part of the care team: a queue item names the conversation and an
 * opaque patient reference (needed to route to that patient's care team and to audit),
 * the sender role, times, priority and category — never the patient's name, intake,
 * metrics or prescriptions. The text of the message that put the item in the queue is
 * shown only through an explicit, audited "open preview" call, clipped to
 * TRIAGE_PREVIEW_CHARS.
 */

export const TRIAGE_PRIORITIES = ["urgent", "high", "normal", "low"] as const;
export type TriagePriority = (typeof TRIAGE_PRIORITIES)[number];
export const TRIAGE_PRIORITY_RANK: Record<TriagePriority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

export const TRIAGE_CATEGORIES = ["red_flag", "unanswered", "request"] as const;
export type TriageCategory = (typeof TRIAGE_CATEGORIES)[number];

export const TRIAGE_PREVIEW_CHARS = 140;

/**
 * Red-flag phrases in patient chat (CLINICAL.md, "Red flags"). Each pattern is a fixed
 * sequence of literal alternatives joined by `\s+`, anchored on word boundaries: no
 * nested or adjacent overlapping quantifiers, so matching time is linear in the message
 * length (no catastrophic backtracking; a test runs them on adversarial input).
 * Messages are at most MESSAGE_MAX_LENGTH characters anyway.
 */
export interface ChatRedFlagRule {
  id: string;
  priority: Extract<TriagePriority, "urgent" | "high">;
  pattern: RegExp;
}

export const CHAT_RED_FLAGS: readonly ChatRedFlagRule[] = [
  // Suicidal thoughts (label warning; 988 shown to the patient).
  { id: "suicidal", priority: "urgent", pattern: /\b(?:suicidal|suicide|kill\s+myself|end\s+my\s+life|want\s+to\s+die|hurt\s+myself|harm\s+myself)\b/i },
  // Cardiac symptoms.
  { id: "chest_pain", priority: "urgent", pattern: /\bchest\s+(?:pain|pains|pressure|tightness)\b/i },
  // Anaphylaxis: swelling of face/throat, trouble breathing.
  { id: "breathing", priority: "urgent", pattern: /\b(?:can'?t|cannot|can\s+not|unable\s+to|hard\s+to|struggling\s+to)\s+breathe\b|\b(?:trouble|difficulty)\s+breathing\b|\bshort(?:ness)?\s+of\s+breath\b/i },
  { id: "swelling", priority: "urgent", pattern: /\b(?:throat|tongue|lips?|face)\s+(?:is\s+|are\s+)?(?:swelling|swollen)\b|\bswelling\s+(?:of\s+|in\s+)?(?:my\s+)?(?:throat|tongue|lips?|face)\b|\bswollen\s+(?:throat|tongue|lips?|face)\b/i },
  // Pancreatitis: severe abdominal pain, possibly to the back.
  { id: "abdominal_pain", priority: "urgent", pattern: /\b(?:severe|terrible|unbearable|excruciating|worst|intense)\s+(?:abdominal|stomach|belly|tummy)\s+(?:pain|ache)\b|\b(?:stomach|belly|abdominal)\s+pain\s+(?:going|radiating|spreading)\s+(?:to|into)\s+(?:my\s+)?back\b/i },
  // Gallbladder: yellow skin or eyes.
  { id: "jaundice", priority: "urgent", pattern: /\byellow\s+(?:skin|eyes)\b|\b(?:skin|eyes)\s+(?:is\s+|are\s+)?(?:turning\s+)?yellow\b|\bjaundice\b/i },
  { id: "fainting", priority: "urgent", pattern: /\b(?:fainted|passed\s+out|blacked\s+out|unconscious)\b/i },
  // Dehydration / kidney injury; thyroid.
  { id: "vomiting", priority: "high", pattern: /\b(?:can'?t|cannot)\s+(?:stop|keep)\s+(?:vomiting|throwing\s+up|anything\s+down)\b|\bvomiting\s+(?:for\s+)?(?:two|three|2|3)\s+days\b/i },
  { id: "neck_lump", priority: "high", pattern: /\b(?:lump|mass)\s+(?:in|on)\s+(?:my\s+)?neck\b|\btrouble\s+swallowing\b/i },
];

/** Words that make a message a request support can route (refills, appointments, billing). */
export const CHAT_REQUEST_PATTERN = /\b(?:refills?|prescription|pharmacy|appointment|reschedule|call\s+me|billing|insurance|invoice|cancel)\b/i;

export interface MessageClassification {
  category: TriageCategory;
  priority: TriagePriority;
  /** The red-flag rule that matched (server-side only; support sees the category, not the rule). */
  ruleId: string | null;
}

/** Classify a patient message: a red flag (the strongest rule that matches), a request, or plain. */
export function classifyPatientMessage(body: string): MessageClassification {
  const text = body.slice(0, 4000);
  let best: ChatRedFlagRule | null = null;
  for (const rule of CHAT_RED_FLAGS) {
    if (rule.pattern.test(text) && (!best || TRIAGE_PRIORITY_RANK[rule.priority] < TRIAGE_PRIORITY_RANK[best.priority])) best = rule;
  }
  if (best) return { category: "red_flag", priority: best.priority, ruleId: best.id };
  if (CHAT_REQUEST_PATTERN.test(text)) return { category: "request", priority: "normal", ruleId: null };
  return { category: "unanswered", priority: "normal", ruleId: null };
}

/** Answers support may send into a conversation (fixed: support writes no free text to patients). */
export const CANNED_RESPONSES = {
  received: "Thank you for your message. Our care team has received it and your physician will reply as soon as possible.",
  routed: "Thank you. We have passed your message to a physician on your care team, who will reply shortly.",
  refill: "Thank you. Your refill request has been sent to your physician for review; you will hear back within one business day.",
  appointment: "Thank you. A member of our team will contact you to arrange a time.",
  emergency: "If this is an emergency, call 911 now. If you are thinking about harming yourself, call or text 988 (Suicide & Crisis Lifeline). Your physician has been alerted.",
} as const;
export type CannedResponseId = keyof typeof CANNED_RESPONSES;
export const CANNED_RESPONSE_IDS = Object.keys(CANNED_RESPONSES) as [CannedResponseId, ...CannedResponseId[]];

/** Sent once per conversation per night when a patient writes outside clinic hours. */
export const AFTER_HOURS_REPLY =
  "Our clinic is closed right now; your physician will see your message when we open. If this is an emergency, call 911. If you are thinking about harming yourself, call or text 988 (Suicide & Crisis Lifeline).";

/** Sender id of messages the clinic itself sends (the after-hours reply): no account has it. */
export const SYSTEM_SENDER_ID = "000000000000000000000000";

/** A queue item as support sees it. */
export interface TriageItemView {
  conversationId: string;
  /** Opaque patient reference (routing and audit need it; no name). */
  patientRef: string;
  sender: "patient";
  priority: TriagePriority;
  category: TriageCategory;
  status: "open" | "routed";
  /** The oldest patient message still waiting for a physician's reply. */
  waitingSince: string;
  /** When the SLA ran or runs out. */
  slaDueAt: string;
  slaBreached: boolean;
  claimedBy: string | null;
  /** Display name of the claimer (staff, not patient PHI), so colleagues see who has it. */
  claimedByName: string | null;
  routedTo: string | null;
  /** Physicians of the patient's care team, to route to (staff names are not patient PHI). */
  careTeam: { id: string; name: string }[];
  /** Only in the answer to an audited preview call. */
  preview?: string;
}

export const triageListQuerySchema = z.strictObject({
  status: z.enum(["open", "routed", "all"]).default("open"),
});
export const triagePrioritySchema = z.strictObject({ priority: z.enum(TRIAGE_PRIORITIES) });
export const triageRouteSchema = z.strictObject({ physicianId: objectIdSchema });
export const triageCannedSchema = z.strictObject({ responseId: z.enum(CANNED_RESPONSE_IDS) });
export const triageRefSchema = z.strictObject({ conversationId: objectIdSchema });

/** Pushed to the triage room: the items that changed (removed ones with `removed: true`). */
export interface TriageUpdate {
  items: TriageItemView[];
  removed: string[];
}

/** Pushed to a physician when support routes a conversation to them. */
export interface TriageRoutedNotice {
  conversationId: string;
  patientId: string;
  priority: TriagePriority;
  category: TriageCategory;
  routedBy: string;
}
