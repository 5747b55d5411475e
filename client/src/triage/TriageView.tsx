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
import { applyUpdate, claimLabel, compareItems, slaLeftMs } from "./queue.js";

type Filter = "open" | "routed" | "all";

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
    void load(filter);
  }, [filter, load]);

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
        {items !== null && items.length === 0 && !error && (
          <p className="card muted" data-testid="triage-empty">
            Nothing waiting. New conversations appear here as they arrive.
          </p>
        )}
        <ul className="triage-list" data-testid="triage-list">
          {(items ?? []).map((item) => (
            <TriageCard
              key={item.conversationId}
              item={item}
              me={user}
              now={now}
              preview={previews[item.conversationId]}
              onPreview={(text) => setPreviews((p) => ({ ...p, [item.conversationId]: text }))}
              onChanged={(next) => replace(next, next ? undefined : item.conversationId)}
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
  preview,
  onPreview,
  onChanged,
}: {
  item: TriageItemView;
  me: PublicUser;
  now: number;
  preview: string | undefined;
  onPreview: (text: string) => void;
  onChanged: (item: TriageItemView | null) => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [physician, setPhysician] = useState(item.routedTo ?? item.careTeam[0]?.id ?? "");
  const [canned, setCanned] = useState<CannedResponseId>(item.category === "red_flag" ? "emergency" : "received");
  const ids = { priority: useId(), route: useId(), canned: useId(), title: useId() };

  const act = async (name: string, fn: () => Promise<TriageItemView | null>, done?: string) => {
    setBusy(name);
    setError(null);
    setNotice(null);
    try {
      const next = await fn();
      onChanged(next);
      if (done) setNotice(done);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };

  const left = slaLeftMs(item, now);
  const claimedByMe = item.claimedBy === me.id;
  const routedName = item.routedTo ? (item.careTeam.find((p) => p.id === item.routedTo)?.name ?? "a physician") : null;

  return (
    <li
      className={`card triage-item priority-${item.priority}${left <= 0 ? " is-overdue" : ""}`}
      data-testid="triage-item"
      data-conversation-id={item.conversationId}
      data-priority={item.priority}
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
        Waiting since <time dateTime={item.waitingSince}>{new Date(item.waitingSince).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" })}</time> ({formatAgo(item.waitingSince, now)}) · patient ref{" "}
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
          disabled={busy !== null}
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
          <button type="button" className="button-secondary" data-testid="triage-claim" disabled={busy !== null} onClick={() => void act("claim", async () => (await api.triageClaim(item.conversationId)).item)}>
            {busy === "claim" ? "Claiming…" : "Claim"}
          </button>
        )}
        {claimedByMe && (
          <button
            type="button"
            className="button-secondary"
            data-testid="triage-release"
            disabled={busy !== null}
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
            disabled={busy !== null}
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
              <select id={ids.route} data-testid="triage-route-select" value={physician} disabled={busy !== null} onChange={(e) => setPhysician(e.target.value)}>
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
                disabled={busy !== null || !physician}
                onClick={() => void act("route", async () => (await api.triageRoute(item.conversationId, physician)).item, "Routed. The physician has been notified.")}
              >
                {busy === "route" ? "Routing…" : "Route"}
              </button>
            </>
          )}
        </div>
      </div>
      <div className="triage-canned">
        <div className="inline-field">
          <label htmlFor={ids.canned}>Canned reply</label>
          <select id={ids.canned} data-testid="triage-canned-select" value={canned} disabled={busy !== null} onChange={(e) => setCanned(e.target.value as CannedResponseId)}>
            {CANNED_RESPONSE_IDS.map((id) => (
              <option key={id} value={id}>
                {CANNED_LABELS[id]}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button-secondary"
            data-testid="triage-canned-send"
            disabled={busy !== null}
            onClick={() =>
              void act(
                "respond",
                async () => (await api.triageRespond(item.conversationId, canned)).item,
                item.category === "red_flag" ? "Reply sent. A red flag stays in the queue until a physician has it." : "Reply sent.",
              )
            }
          >
            {busy === "respond" ? "Sending…" : "Send reply"}
          </button>
        </div>
        <p className="small muted canned-text" data-testid="triage-canned-text">
          “{CANNED_RESPONSES[canned]}”
        </p>
      </div>
      {notice && (
        <p className="form-success small" role="status">
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
