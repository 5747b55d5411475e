import { randomUUID } from "node:crypto";
import {
  AFTER_HOURS_REPLY,
  CANNED_RESPONSES,
  type CannedResponseId,
  type ChatMessage,
  classifyPatientMessage,
  SYSTEM_SENDER_ID,
  TRIAGE_PREVIEW_CHARS,
  TRIAGE_PRIORITY_RANK,
  type TriageCategory,
  type TriageItemView,
  type TriagePriority,
} from "@glp1/shared";
import { Types } from "mongoose";
import type { Actor, AuditTarget } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import type { Access } from "../../auth/access.js";
import { requireRole } from "../../auth/policy.js";
import type { CareTeamModel } from "../../auth/careTeam.model.js";
import type { UserModel } from "../../auth/user.model.js";
import type { ClinicHours } from "../../config/config.js";
import { createBatcher } from "../../infra/batch.js";
import { AppError, forbidden, notFound } from "../../http/errors.js";
import { aadFor, type FieldCipher } from "../../infra/crypto/fieldCipher.js";
import type { Logger } from "../../infra/logger.js";
import type { Notifier } from "../../realtime/notifier.js";
import { rooms } from "../../realtime/rooms.js";
import { countMessage } from "../chat/counters.js";
import { type ConversationModel, type ConversationRef, type MessageModel, toChatMessage } from "../chat/chat.model.js";
import { clinicOpen, nightKey } from "./hours.js";
import type { TriageItem, TriageModel } from "./triage.model.js";

const CATEGORY_RANK: Record<TriageCategory, number> = { red_flag: 0, request: 1, unanswered: 2 };
const LIVE = ["pending", "open", "routed"] as const;

export interface TriageOptions {
  slaMs: number;
  clinicHours: ClinicHours;
  /** How often pending items are checked for a breached SLA. */
  sweepMs?: number;
}

export interface TriageServiceDeps {
  items: TriageModel;
  conversations: ConversationModel;
  messages: MessageModel;
  users: UserModel;
  careTeams: CareTeamModel;
  cipher: FieldCipher;
  access: Access;
  notifier: Notifier;
  audit: AuditWriter;
  logger: Logger;
  options: TriageOptions;
  clock?: () => Date;
  /** A message support or the clinic posted into a conversation (the dashboard row follows its counts). */
  onPosted?: (conv: ConversationRef) => void;
}

/**
 * Support triage. Patient messages feed it (through a small chat hook): a red-flag
 * message enters the queue at once, a request too, and a plain message once it has
 * waited `slaMs` without a physician's reply. A physician's reply closes the episode.
 * Support claims (and releases), re-prioritises, routes to a physician of the care team (who is
 * notified), or answers with a fixed canned response; every act is audited by the
 * route that calls it, and opening a message preview is an audited act of its own.
 */
export function createTriageService(deps: TriageServiceDeps) {
  const { items, conversations, messages, users, careTeams, cipher, access, notifier, audit, logger, options } = deps;
  const now = deps.clock ?? (() => new Date());
  let sweepTimer: NodeJS.Timeout | null = null;
  /** A red flag is in the queue at once; support has this long to route it. */
  const urgentSlaMs = Math.min(options.slaMs, 5 * 60_000);

  /** Items by conversation id: reads made together (a burst of messages) share one `$in`. */
  const readItem = createBatcher<string, TriageItem | null>(async (ids) => {
    // An id that is not one finds nothing, for its caller alone (never fails the others' batch).
    const valid = [...new Set(ids)].filter((id) => Types.ObjectId.isValid(id));
    const docs = await items.find({ _id: { $in: valid.map((id) => new Types.ObjectId(id)) } }).lean<TriageItem[]>();
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  const inQueue = (i: TriageItem, at: Date) => i.status === "open" || i.status === "routed" || (i.status === "pending" && i.slaDueAt <= at);

  /** Physician ids of each patient's care team. */
  async function careTeamsOf(patientIds: string[]): Promise<Map<string, string[]>> {
    const docs = patientIds.length ? await careTeams.find({ patientId: { $in: [...new Set(patientIds)].map((id) => new Types.ObjectId(id)) } }, { patientId: 1, physicianIds: 1 }).lean() : [];
    return new Map(docs.map((t) => [String(t.patientId), t.physicianIds.map(String)]));
  }

  /** Display names of staff (physicians, support, admins: not patient PHI), opened from their sealed field. */
  async function staffNames(ids: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids)];
    const docs = unique.length ? await users.collection.find({ _id: { $in: unique.map((id) => new Types.ObjectId(id)) } }, { projection: { name: 1 } }).toArray() : [];
    return new Map(docs.map((u) => [String(u._id), cipher.open(u.name as string, aadFor("users", "name", u._id))]));
  }

  async function views(list: TriageItem[]): Promise<TriageItemView[]> {
    const teams = await careTeamsOf(list.map((i) => String(i.patientId)));
    const claimers = list.flatMap((i) => (i.claimedBy ? [String(i.claimedBy)] : []));
    const names = await staffNames([...[...teams.values()].flat(), ...claimers]);
    const at = now();
    return list.map((i) => ({
      conversationId: String(i._id),
      patientRef: String(i.patientId),
      sender: "patient" as const,
      priority: i.priority,
      category: i.category,
      status: i.status === "routed" ? ("routed" as const) : ("open" as const),
      waitingSince: i.waitingSince.toISOString(),
      slaDueAt: i.slaDueAt.toISOString(),
      slaBreached: i.slaDueAt <= at,
      claimedBy: i.claimedBy ? String(i.claimedBy) : null,
      claimedByName: i.claimedBy ? (names.get(String(i.claimedBy)) ?? null) : null,
      routedTo: i.routedTo ? String(i.routedTo) : null,
      careTeam: (teams.get(String(i.patientId)) ?? []).map((id) => ({ id, name: names.get(id) ?? "" })),
    }));
  }

  /** Tell the triage room what changed (items that left the queue go in `removed`). */
  async function push(changed: TriageItem[]): Promise<void> {
    const at = now();
    const shown = changed.filter((i) => inQueue(i, at));
    const removed = changed.filter((i) => !inQueue(i, at) && i.status !== "pending").map((i) => String(i._id));
    if (shown.length === 0 && removed.length === 0) return;
    notifier.toRoom(rooms.triage, "triage:update", { items: await views(shown), removed });
  }

  /** Compare-and-set on `version`; `change` returns the fields to set, or null to leave the item as it is. */
  async function update(id: Types.ObjectId, change: (i: TriageItem) => Partial<TriageItem> | null, known?: TriageItem): Promise<TriageItem | null> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = attempt === 0 && known ? known : await readItem(String(id));
      if (!cur) return null;
      const set = change(cur);
      if (!set) return cur;
      const r = await items.updateOne({ _id: id, version: cur.version }, { $set: { ...set, updatedAt: now() }, $inc: { version: 1 } });
      if (r.modifiedCount === 1) return { ...cur, ...set, version: cur.version + 1 };
    }
    throw new AppError("CONFLICT", "the triage item kept changing; try again");
  }

  /** Post a message into a conversation as someone who is not a participant (support, or the clinic itself). */
  async function post(conv: ConversationRef, senderId: string, clientId: string, body: string): Promise<ChatMessage | null> {
    let doc;
    try {
      doc = await messages.create({ conversationId: conv._id, senderId, body, clientId });
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return null; // already sent (the after-hours reply, once a night)
      throw err;
    }
    await countMessage({ conversations }, conv, doc);
    deps.onPosted?.(conv);
    const message = toChatMessage(doc);
    notifier.toRoom([rooms.conversation(String(conv._id)), rooms.user(String(conv.patientId)), rooms.user(String(conv.physicianId))], "chat:message", { message });
    return message;
  }

  /** Chat hook: a patient wrote in `conv`. */
  async function onPatientMessage(conv: ConversationRef, message: ChatMessage): Promise<void> {
    const cls = classifyPatientMessage(message.body);
    const at = new Date(message.createdAt);
    const fresh = (): Omit<TriageItem, "_id" | "version"> => ({
      patientId: conv.patientId,
      status: cls.category === "unanswered" ? "pending" : "open",
      category: cls.category,
      priority: cls.priority,
      ruleId: cls.ruleId,
      messageId: new Types.ObjectId(message.id),
      waitingSince: at,
      slaDueAt: new Date(at.getTime() + (cls.category === "red_flag" ? urgentSlaMs : options.slaMs)),
      claimedBy: null,
      routedTo: null,
      updatedAt: now(),
    });
    let item: TriageItem | null = null;
    let changed = false;
    // Most messages land in a conversation that already has its item: read first (a read
    // is cheaper than an insert the unique _id refuses), create only when there is none.
    const existing = await readItem(String(conv._id));
    if (!existing) {
      try {
        item = (await items.create({ _id: conv._id, ...fresh(), version: 1 })).toObject();
        changed = true;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err; // created meanwhile: update it below
      }
    }
    if (!item) {
      item = await update(conv._id, (cur) => {
        changed = true;
        if (cur.status === "closed") return fresh();
        const stronger = CATEGORY_RANK[cls.category] < CATEGORY_RANK[cur.category];
        const priority = TRIAGE_PRIORITY_RANK[cls.priority] < TRIAGE_PRIORITY_RANK[cur.priority] ? cls.priority : cur.priority;
        if (!stronger && priority === cur.priority) {
          changed = false;
          return null;
        }
        return {
          priority,
          ...(stronger ? { category: cls.category, ruleId: cls.ruleId, messageId: new Types.ObjectId(message.id) } : {}),
          // A new red flag puts even a routed conversation back in front of support.
          ...(cls.category === "red_flag" ? { status: "open" as const, slaDueAt: new Date(at.getTime() + urgentSlaMs) } : cls.category === "request" && cur.status === "pending" ? { status: "open" as const } : {}),
        };
      }, existing ?? undefined);
    }
    // Nothing to tell support when the item stayed as it was (most messages of a waiting conversation).
    if (item && changed) await push([item]);
    if (!clinicOpen(options.clinicHours, at)) await afterHours(conv, at);
  }

  async function afterHours(conv: ConversationRef, at: Date): Promise<void> {
    const clientId = `afterhours-${String(conv._id)}-${nightKey(options.clinicHours, at)}`;
    const sent = await post(conv, SYSTEM_SENDER_ID, clientId, AFTER_HOURS_REPLY);
    if (sent) {
      await audit.record({ userId: null, role: null, action: "triage:after_hours", resource: "message", resourceId: sent.id, patientId: String(conv.patientId), outcome: "success", ip: null, userAgent: null, requestId: null });
    }
  }

  /** Chat hook: the physician replied; the episode is over. */
  async function onPhysicianMessage(conv: ConversationRef): Promise<void> {
    const item = await update(conv._id, (cur) => (LIVE.includes(cur.status as (typeof LIVE)[number]) ? { status: "closed" } : null));
    if (item?.status === "closed") await push([item]);
  }

  /** Chat hook for every new message: who wrote decides what happens. */
  async function onMessage(conv: ConversationRef, message: ChatMessage): Promise<void> {
    try {
      if (message.senderId === String(conv.patientId)) await onPatientMessage(conv, message);
      else if (message.senderId === String(conv.physicianId)) await onPhysicianMessage(conv);
    } catch (err) {
      // The message is stored and delivered whatever happens here; a triage failure is logged, not the patient's problem.
      logger.error({ err }, "triage update failed");
    }
  }

  async function loadLive(actor: Actor, conversationId: string, target: AuditTarget): Promise<TriageItem> {
    target.resource = "triage";
    target.resourceId = conversationId;
    requireRole(actor, "support");
    const item = await readItem(conversationId);
    if (!item || item.status === "closed") throw notFound("triage item");
    target.patientId = String(item.patientId);
    return item;
  }

  /** The queue: most urgent first, then longest waiting. */
  async function list(actor: Actor, status: "open" | "routed" | "all", target: AuditTarget): Promise<TriageItemView[]> {
    target.resource = "triage";
    requireRole(actor, "support");
    const at = now();
    const docs = await items.find({ status: { $in: [...LIVE] } }).lean();
    const queue = docs
      .filter((i) => inQueue(i, at))
      .filter((i) => status === "all" || (status === "routed" ? i.status === "routed" : i.status !== "routed"))
      .sort((a, b) => TRIAGE_PRIORITY_RANK[a.priority] - TRIAGE_PRIORITY_RANK[b.priority] || a.waitingSince.getTime() - b.waitingSince.getTime());
    return views(queue);
  }

  async function claim(actor: Actor, conversationId: string, target: AuditTarget): Promise<TriageItemView> {
    const item = await loadLive(actor, conversationId, target);
    const next = await update(item._id, (cur) => {
      if (cur.claimedBy && String(cur.claimedBy) !== actor.userId) throw new AppError("CONFLICT", "someone else has claimed this conversation");
      return cur.claimedBy ? null : { claimedBy: new Types.ObjectId(actor.userId) };
    });
    await push([next!]);
    return (await views([next!]))[0]!;
  }

  /**
   * Give a claim back so a colleague can take the conversation. Only the claimer or an
   * admin may (an admin frees the items of someone who left); releasing an unclaimed
   * item changes nothing.
   */
  async function release(actor: Actor, conversationId: string, target: AuditTarget): Promise<TriageItemView> {
    target.resource = "triage";
    target.resourceId = conversationId;
    requireRole(actor, "support", "admin");
    const item = await readItem(conversationId);
    if (!item || item.status === "closed") throw notFound("triage item");
    target.patientId = String(item.patientId);
    let changed = false;
    const next = await update(item._id, (cur) => {
      changed = false;
      if (!cur.claimedBy) return null;
      if (String(cur.claimedBy) !== actor.userId && actor.role !== "admin") throw forbidden();
      changed = true;
      return { claimedBy: null };
    });
    if (changed) await push([next!]);
    return (await views([next!]))[0]!;
  }

  async function setPriority(actor: Actor, conversationId: string, priority: TriagePriority, target: AuditTarget): Promise<TriageItemView> {
    const item = await loadLive(actor, conversationId, target);
    const next = await update(item._id, (cur) => (cur.priority === priority ? null : { priority, ...(cur.status === "pending" ? { status: "open" as const } : {}) }));
    await push([next!]);
    return (await views([next!]))[0]!;
  }

  async function route(actor: Actor, conversationId: string, physicianId: string, target: AuditTarget): Promise<TriageItemView> {
    const item = await loadLive(actor, conversationId, target);
    const patientId = String(item.patientId);
    if (!(await access.isInCareTeam(physicianId, patientId))) throw new AppError("VALIDATION_FAILED", "physicianId must be in the patient's care team", ["physicianId"]);
    const next = await update(item._id, () => ({ status: "routed", routedTo: new Types.ObjectId(physicianId), claimedBy: item.claimedBy ?? new Types.ObjectId(actor.userId) }));
    notifier.toUsers([physicianId], "triage:routed", { conversationId, patientId, priority: next!.priority, category: next!.category, routedBy: actor.userId });
    await push([next!]);
    return (await views([next!]))[0]!;
  }

  /** Answer with a canned response: a non-urgent episode is then answered; a red flag stays until a physician has it. */
  async function answer(actor: Actor, conversationId: string, responseId: CannedResponseId, target: AuditTarget): Promise<{ message: ChatMessage; item: TriageItemView | null }> {
    const item = await loadLive(actor, conversationId, target);
    const conv = await conversations.findById(item._id).lean();
    if (!conv) throw notFound("conversation");
    // A conversation whose physician left the care team is closed: nobody writes into it.
    if (!(await access.isInCareTeam(String(conv.physicianId), String(conv.patientId)))) {
      throw new AppError("CONFLICT", "this conversation is closed: its physician is no longer on the care team");
    }
    const message = (await post(conv, actor.userId, `triage-${randomUUID()}`, CANNED_RESPONSES[responseId]))!;
    target.reason = `CANNED_${responseId.toUpperCase()}`;
    const next = await update(item._id, (cur) => (cur.category === "red_flag" ? (cur.claimedBy ? null : { claimedBy: new Types.ObjectId(actor.userId) }) : { status: "closed" }));
    await push([next!]);
    return { message, item: next && next.status !== "closed" ? (await views([next]))[0]! : null };
  }

  /** The first characters of the message that put the item in the queue (the route audits this as `triage:preview`). */
  async function preview(actor: Actor, conversationId: string, target: AuditTarget): Promise<{ preview: string }> {
    const item = await loadLive(actor, conversationId, target);
    const msg = await messages.findOne({ _id: item.messageId, conversationId: item._id });
    if (!msg) throw notFound("message");
    target.resource = "message";
    target.resourceId = String(msg._id);
    return { preview: msg.body.slice(0, TRIAGE_PREVIEW_CHARS) };
  }

  /** Move pending items whose SLA ran out into the queue (compare-and-set: one node wins each). */
  async function sweep(): Promise<number> {
    const due = await items.find({ status: "pending", slaDueAt: { $lte: now() } }).lean();
    const moved: TriageItem[] = [];
    for (const i of due) {
      const r = await items.updateOne({ _id: i._id, version: i.version, status: "pending" }, { $set: { status: "open", updatedAt: now() }, $inc: { version: 1 } });
      if (r.modifiedCount === 1) moved.push({ ...i, status: "open", version: i.version + 1 });
    }
    if (moved.length > 0) await push(moved);
    return moved.length;
  }

  function start(): void {
    const every = options.sweepMs ?? Math.min(15_000, Math.max(1_000, Math.floor(options.slaMs / 4)));
    sweepTimer = setInterval(() => void sweep().catch((err: unknown) => logger.warn({ err }, "triage sweep failed")), every);
    sweepTimer.unref();
  }

  function stop(): void {
    if (sweepTimer) clearInterval(sweepTimer);
  }

  /** Support may subscribe to the queue; nobody else. */
  function authorizeQueue(actor: Actor, target: AuditTarget): void {
    target.resource = "triage";
    if (actor.role !== "support") throw forbidden();
  }

  return { onMessage, list, claim, release, setPriority, route, answer, preview, sweep, start, stop, authorizeQueue };
}

export type TriageService = ReturnType<typeof createTriageService>;
