import { useCallback, useEffect, useId, useRef, useState } from "react";
import {
  CANNED_RESPONSES,
  CANNED_RESPONSE_IDS,
  TRIAGE_PREVIEW_CHARS,
  TRIAGE_PRIORITIES,
  type CannedResponseId,
  type PublicUser,
  type TriageItemView,
  type TriagePriority,
} from "@glp1/shared";
import { api, describeError } from "../api.js";
import type { ChatStore } from "../chat/store.js";
import { useChat } from "../chat/useChat.js";
import { formatAgo, formatClock, shortId, useNow } from "../staff/useNow.js";
import { applyUpdate, claimLabel, compareItems, leavesList, routeHint, routeLabel, routedNotice, slaLeftMs, withLeaving } from "./queue.js";

type Filter = "open" | "routed" | "all";

/** How long a card that was just answered or routed away stays in place, saying so, before it leaves. */
export const LEAVING_MS = 2500;

export const PRIORITY_LABELS: Record<TriagePriority, string> = { urgent: "Urgent", high: "High", normal: "Normal", low: "Low" };
export const CATEGORY_LABELS: Record<TriageItemView["category"], string> = {
  red_flag: "Red flag",
  request: "Request",
  unanswered: "Unanswered",
};
export const CANNED_LABELS: Record<CannedResponseId, string> = {
  received: "Message received",
  routed: "Passed to a physician",
  refill: "Refill request",
  appointment: "Appointment",
  emergency: "Emergency (911 / 988)",
};

/**
 * Support's home: the triage queue, in the server's order (priority, then longest
 * waiting), live over `triage:update`. Support sees no clinical data: only the queue's
 * own fields, the care team's physician names, and — on an explicit, audited request —
 * the first characters of the message, shown as text. No clinical endpoint is called.
 */
export function TriageView({ user, store }: { user: PublicUser; store: ChatStore }) {
  const [filter, setFilter] = useState<Filter>("open");
  const [items, setItems] = useState<TriageItemView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [previews, setPreviews] = useState<Record<string, string>>({});
  /**
   * Cards kept on screen, as they stood, while this user acts on them (a push may remove
   * one before the action's own answer arrives) and for LEAVING_MS after an action took them
   * out of the list (those are in `leaving`).
   */
  const [held, setHeld] = useState<Record<string, TriageItemView>>({});
  const [leaving, setLeaving] = useState<ReadonlySet<string>>(new Set());
  const leaveTimers = useRef(new Set<ReturnType<typeof setTimeout>>());
  const now = useNow(1_000);
  const { connection } = useChat(store);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const seq = useRef(0);

  const load = useCallback(async (f: Filter) => {
    const mine = ++seq.current;
    try {
      const { items: list } = await api.triage(f);
      if (mine !== seq.current) return;
      setItems(list.slice().sort(compareItems));
      setError(null);
    } catch (e) {
      if (mine === seq.current) setError(describeError(e));
    }
  }, []);

  useEffect(() => {
    setItems(null);
    setHeld({});
    setLeaving(new Set());
    void load(filter);
  }, [filter, load]);

  useEffect(() => {
    const timers = leaveTimers.current;
    return () => timers.forEach(clearTimeout);
  }, []);

  useEffect(() => {
    const feed = store.watchFeed("triage:subscribe");
    const off = store.onPush("triage:update", (update) => setItems((cur) => (cur ? applyUpdate(cur, update, filterRef.current) : cur)));
    let seen = store.connected;
    const offConnect = store.onConnected(() => {
      if (!seen) seen = true;
      else void load(filterRef.current);
    });
    return () => {
      feed.stop();
      off();
      offConnect();
    };
  }, [store, load]);

  const replace = (item: TriageItemView | null, removedId?: string) =>
    setItems((cur) => (cur ? applyUpdate(cur, { items: item ? [item] : [], removed: removedId ? [removedId] : [] }, filterRef.current) : cur));

  const unhold = (id: string) => {
    setHeld(({ [id]: _gone, ...rest }) => rest);
    setLeaving((cur) => {
      const next = new Set(cur);
      next.delete(id);
      return next;
    });
  };
  /** An action starts: the card keeps its place whatever pushes arrive meanwhile. */
  const acting = (item: TriageItemView) => setHeld((cur) => ({ ...cur, [item.conversationId]: item }));
  /** An action's answer (undefined: it failed): applied to the queue at once; a card it takes away stays, saying so, for LEAVING_MS. */
  const acted = (item: TriageItemView, next: TriageItemView | null | undefined) => {
    const id = item.conversationId;
    if (next === undefined || !leavesList(next, filterRef.current)) {
      if (next !== undefined) replace(next);
      unhold(id);
      return;
    }
    replace(next, next ? undefined : id);
    // Shown as it is now (routed, claimed) when the answer says; the sort keys are unchanged, so is its place.
    if (next) setHeld((cur) => ({ ...cur, [id]: next }));
    setLeaving((cur) => new Set(cur).add(id));
    const t = setTimeout(() => {
      leaveTimers.current.delete(t);
      unhold(id);
    }, LEAVING_MS);
    leaveTimers.current.add(t);
  };
  const shown = items ? withLeaving(items, Object.values(held)) : null;

  const overdue = (items ?? []).filter((i) => slaLeftMs(i, now) <= 0).length;
  const FILTERS: { id: Filter; label: string }[] = [
    { id: "open", label: "Open" },
    { id: "routed", label: "Routed" },
    { id: "all", label: "All" },
  ];

  return (
    <main className="staff-page" id="main">
      <div className="staff-inner">
        <header className="staff-header">
          <div>
            <h1>Triage queue</h1>
            <p className="muted small" data-testid="triage-count" aria-live="polite">
              {items === null ? "Loading…" : `${items.length} conversation${items.length === 1 ? "" : "s"}${overdue > 0 ? ` · ${overdue} past SLA` : ""}`}
              {connection !== "connected" ? " · live updates paused, reconnecting…" : ""}
            </p>
          </div>
          <nav className="filter-tabs" aria-label="Queue filter">
            {FILTERS.map((f) => (
              <button
                key={f.id}
                type="button"
                className="section-tab"
                data-testid={`triage-filter-${f.id}`}
                aria-current={filter === f.id ? "page" : undefined}
                onClick={() => setFilter(f.id)}
              >
                {f.label}
              </button>
            ))}
          </nav>
        </header>
        <p className="muted small privacy-note">
          You see the queue, not the record: no patient names or health details. Opening a message preview is logged.
        </p>
        {error && (
          <div className="form-error" role="alert">
            {error}{" "}
            <button type="button" className="button-link" onClick={() => void load(filter)}>
              Try again
            </button>
          </div>
        )}
        {shown !== null && shown.length === 0 && !error && (
          <p className="card muted" data-testid="triage-empty">
            Nothing waiting. New conversations appear here as they arrive.
          </p>
        )}
        <ul className="triage-list" data-testid="triage-list">
          {(shown ?? []).map((item) => (
            <TriageCard
              key={item.conversationId}
              item={item}
              me={user}
              now={now}
              leaving={leaving.has(item.conversationId)}
              preview={previews[item.conversationId]}
              onPreview={(text) => setPreviews((p) => ({ ...p, [item.conversationId]: text }))}
              onActing={() => acting(item)}
              onChanged={(next) => acted(item, next)}
            />
          ))}
        </ul>
      </div>
    </main>
  );
}

function TriageCard({
  item,
  me,
  now,
  leaving,
  preview,
  onPreview,
  onActing,
  onChanged,
}: {
  item: TriageItemView;
  me: PublicUser;
  now: number;
  /** Answered or routed away by this user: shown, inert, for a moment before it leaves. */
  leaving: boolean;
  preview: string | undefined;
  onPreview: (text: string) => void;
  /** An action is under way (the list keeps this card in place until it answers). */
  onActing: () => void;
  /** The action's answer: the item as it is now, null when it left the queue, undefined when the action failed. */
  onChanged: (item: TriageItemView | null | undefined) => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [physician, setPhysician] = useState(item.routedTo ?? item.careTeam[0]?.id ?? "");
  const [canned, setCanned] = useState<CannedResponseId>(item.category === "red_flag" ? "emergency" : "received");
  /** "Send reply" asks first: the reply goes to the patient and cannot be taken back. */
  const [confirming, setConfirming] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const ids = { priority: useId(), route: useId(), routeHint: useId(), canned: useId(), title: useId() };
  const inert = busy !== null || leaving;

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const act = async (name: string, fn: () => Promise<TriageItemView | null>, done?: string | ((next: TriageItemView | null) => string)) => {
    setBusy(name);
    setError(null);
    setNotice(null);
    onActing();
    try {
      const next = await fn();
      if (done) setNotice(typeof done === "string" ? done : done(next));
      onChanged(next);
      return next;
    } catch (e) {
      setError(describeError(e));
      onChanged(undefined);
      return undefined;
    } finally {
      setBusy(null);
    }
  };

  const left = slaLeftMs(item, now);
  const claimedByMe = item.claimedBy === me.id;
  const routedName = item.routedTo ? (item.careTeam.find((p) => p.id === item.routedTo)?.name ?? "a physician") : null;

  return (
    <li
      className={`card triage-item priority-${item.priority}${left <= 0 ? " is-overdue" : ""}${leaving ? " is-leaving" : ""}`}
      data-testid="triage-item"
      data-conversation-id={item.conversationId}
      data-priority={item.priority}
      data-leaving={leaving || undefined}
      aria-labelledby={ids.title}
    >
      <div className="triage-top">
        <h2 id={ids.title} className="triage-title">
          <span className={`priority-badge priority-${item.priority}`} data-testid="triage-priority">
            {PRIORITY_LABELS[item.priority]}
          </span>
          <span className="triage-category" data-testid="triage-category">
            {CATEGORY_LABELS[item.category]}
          </span>
          {item.status === "routed" && (
            <span className="pill pill-ok" data-testid="triage-routed">
              Routed to {routedName}
            </span>
          )}
        </h2>
        <p className={`sla ${left <= 0 ? "sla-overdue" : left < 5 * 60_000 ? "sla-soon" : ""}`} data-testid="triage-sla" title={`SLA due ${new Date(item.slaDueAt).toLocaleString()}`}>
          {left <= 0 ? (
            <>
              <strong>Overdue</strong> by <span className="countdown">{formatClock(left)}</span>
            </>
          ) : (
            <>
              SLA <span className="countdown">{formatClock(left)}</span>
            </>
          )}
        </p>
      </div>
      <p className="small muted triage-meta">
        Waiting since <time dateTime={item.waitingSince}>{waitingSinceText(item.waitingSince, now)}</time> ({formatAgo(item.waitingSince, now)}) · patient ref{" "}
        <span className="mono">{shortId(item.patientRef)}</span> ·{" "}
        <span data-testid="triage-claim-state">{claimLabel(item, me)}</span>
      </p>

      {preview !== undefined ? (
        <blockquote className="triage-preview" data-testid="triage-preview">
          {preview}
          {preview.length >= TRIAGE_PREVIEW_CHARS ? "…" : ""}
        </blockquote>
      ) : (
        <button
          type="button"
          className="button-link small triage-preview-button"
          data-testid="triage-preview-button"
          disabled={inert}
          onClick={async () => {
            setBusy("preview");
            setError(null);
            try {
              onPreview((await api.triagePreview(item.conversationId)).preview);
            } catch (e) {
              setError(describeError(e));
            } finally {
              setBusy(null);
            }
          }}
        >
          {busy === "preview" ? "Opening…" : "Show preview (logged)"}
        </button>
      )}

      <div className="triage-actions">
        {!item.claimedBy && (
          <button type="button" className="button-secondary" data-testid="triage-claim" disabled={inert} onClick={() => void act("claim", async () => (await api.triageClaim(item.conversationId)).item)}>
            {busy === "claim" ? "Claiming…" : "Claim"}
          </button>
        )}
        {claimedByMe && (
          <button
            type="button"
            className="button-secondary"
            data-testid="triage-release"
            disabled={inert}
            onClick={() => void act("release", async () => (await api.triageRelease(item.conversationId)).item, "Released. A colleague can claim it now.")}
          >
            {busy === "release" ? "Releasing…" : "Release"}
          </button>
        )}
        <div className="inline-field">
          <label htmlFor={ids.priority}>Priority</label>
          <select
            id={ids.priority}
            data-testid="triage-set-priority"
            value={item.priority}
            disabled={inert}
            onChange={(e) => {
              const p = e.target.value as TriagePriority;
              void act("priority", async () => (await api.triagePriority(item.conversationId, p)).item);
            }}
          >
            {TRIAGE_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABELS[p]}
              </option>
            ))}
          </select>
        </div>
        <div className="inline-field">
          <label htmlFor={ids.route}>Route to</label>
          {item.careTeam.length === 0 ? (
            <span className="muted small">No physician in the care team</span>
          ) : (
            <>
              <select id={ids.route} data-testid="triage-route-select" value={physician} disabled={inert} onChange={(e) => setPhysician(e.target.value)}>
                {item.careTeam.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name || shortId(p.id)}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="button-secondary"
                data-testid="triage-route"
                disabled={inert || !physician}
                aria-describedby={ids.routeHint}
                onClick={() => void act("route", async () => (await api.triageRoute(item.conversationId, physician)).item, (next) => (next ? routedNotice(next, me) : "Routed."))}
              >
                {busy === "route" ? "Routing…" : routeLabel(item)}
              </button>
            </>
          )}
        </div>
      </div>
      {item.careTeam.length > 0 && (item.status !== "routed" || leaving) && (
        <p id={ids.routeHint} className="small muted triage-route-hint" data-testid="triage-route-hint">
          {routeHint(item, me)}
        </p>
      )}
      <div className="triage-canned">
        <div className="inline-field">
          <label htmlFor={ids.canned}>Canned reply</label>
          <select
            id={ids.canned}
            data-testid="triage-canned-select"
            value={canned}
            disabled={inert}
            onChange={(e) => {
              setCanned(e.target.value as CannedResponseId);
              setConfirming(false);
            }}
          >
            {CANNED_RESPONSE_IDS.map((id) => (
              <option key={id} value={id}>
                {CANNED_LABELS[id]}
              </option>
            ))}
          </select>
          <button type="button" className="button-secondary" data-testid="triage-canned-send" disabled={inert || confirming} aria-expanded={confirming} onClick={() => setConfirming(true)}>
            Send reply…
          </button>
        </div>
        <p className="small muted canned-text" data-testid="triage-canned-text">
          “{CANNED_RESPONSES[canned]}”
        </p>
        {confirming &&
          (leaving && notice ? (
            // Same place and height as the question: nothing moves under the pointer until the card leaves.
            <div className="triage-confirm is-sent" role="status" data-testid="triage-sent">
              <span className="small strong">{notice}</span>
            </div>
          ) : (
            <div className="triage-confirm" role="group" aria-label="Confirm the reply" data-testid="triage-canned-confirm-box">
              <span className="small strong">Send this reply to the patient now? It cannot be taken back.</span>
              <button
                ref={confirmButton}
                type="button"
                className="button-primary"
                data-testid="triage-canned-confirm"
                disabled={inert}
                onClick={async () => {
                  const next = await act(
                    "respond",
                    async () => (await api.triageRespond(item.conversationId, canned)).item,
                    item.category === "red_flag" ? "Reply sent. A red flag stays in the queue until a physician has it." : "Reply sent ✓ — answered; it leaves the queue.",
                  );
                  // Answered and leaving: the box turns into the "sent" line. Kept open to retry after a failure.
                  if (next) setConfirming(false);
                }}
              >
                {busy === "respond" ? "Sending…" : "Send now"}
              </button>
              <button type="button" className="button-quiet" data-testid="triage-canned-cancel" disabled={busy !== null} onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ))}
      </div>
      {notice && !(confirming && leaving) && (
        <p className="form-success small" role="status" data-testid="triage-notice">
          {notice}
        </p>
      )}
      {error && (
        <p className="form-error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** The time alone for today; the day as well for anything older ("Wed 2 Dec, 11:02 AM"). */
function waitingSinceText(iso: string, now: number): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  if (at.toDateString() === new Date(now).toDateString()) return time;
  return `${at.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" })}, ${time}`;
}
