import { useCallback, useEffect, useMemo, useState } from "react";
import type { ConversationSummary, DashboardRow, PublicUser } from "@glp1/shared";
import { ChatPanel } from "../chat/ChatPanel.js";
import type { ChatStore } from "../chat/store.js";
import { useChat } from "../chat/useChat.js";
import { SEVERITY_LABELS } from "../clinical/labels.js";
import { usePanelAlerts, type OpenAlertCounts } from "../clinical/useAlerts.js";
import { lazyScreen } from "../components/LazyScreen.js";
import type { Grant } from "../dashboard/DashboardView.js";
import { EmergencyBanner } from "../dashboard/EmergencyBanner.js";
import { grantTitle } from "../dashboard/grants.js";
import { formatListTime } from "../format.js";
import { useNow } from "../staff/useNow.js";

interface Props {
  user: PublicUser;
  store: ChatStore;
}

/** Most recent activity first; conversations without messages after, by name. */
function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  if (a.lastMessageAt && b.lastMessageAt && a.lastMessageAt !== b.lastMessageAt) {
    return a.lastMessageAt < b.lastMessageAt ? 1 : -1;
  }
  if (a.lastMessageAt && !b.lastMessageAt) return -1;
  if (!a.lastMessageAt && b.lastMessageAt) return 1;
  return a.patientName.localeCompare(b.patientName);
}

/** The patient record (charts, prescription writer) loads on first use. */
const PatientPanel = lazyScreen(() => import("../clinical/PatientPanel.js").then((m) => m.PatientPanel), {
  fallback: <p className="chat-placeholder muted">Loading the record…</p>,
  name: "PatientPanel",
});

/** The dashboard (with uPlot for the cohort chart) and the break-glass dialog load on first use. */
const DashboardView = lazyScreen(() => import("../dashboard/DashboardView.js").then((m) => m.DashboardView), {
  fallback: <p className="chat-placeholder muted">Loading the dashboard…</p>,
  name: "DashboardView",
});
const BreakGlassDialog = lazyScreen(() => import("../dashboard/BreakGlassDialog.js").then((m) => m.BreakGlassDialog), { fallback: null, name: "BreakGlassDialog" });

const SEVERITY_ORDER = ["urgent", "high", "medium"] as const;

/** What the detail area shows: a conversation (with the record beside it), or a record alone. */
type Selection =
  /** `summary` stands in until the conversation list has loaded (built from the dashboard row). */
  | { kind: "conversation"; id: string; summary?: ConversationSummary }
  /** A panel patient without a conversation, or (with `emergencyUntil`) a break-glass record. */
  | { kind: "record"; patientId: string; name: string; knownName?: boolean; emergencyUntil?: string };

/**
 * A physician. Home is the dashboard of their panel (beside the conversation list on wide
 * screens); a row or a conversation opens the chat and the patient's record side by side
 * (as tabs on narrow screens). Break glass opens a record outside the panel, marked as
 * emergency access until the grant expires. Selection lives in memory only: no patient
 * ids in the URL.
 */
export function PhysicianView({ user, store }: Props) {
  const snapshot = useChat(store);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [detail, setDetail] = useState<"chat" | "patient">("chat");
  /** Narrow screens, nothing selected: the dashboard or the conversation list. */
  const [home, setHome] = useState<"dashboard" | "messages">("dashboard");
  const [breakGlass, setBreakGlass] = useState(false);
  const [grants, setGrants] = useState<Grant[]>([]);
  const [dashRows, setDashRows] = useState<DashboardRow[] | null>(null);

  // The dashboard is home: its query goes first, the conversation list after it answers (or
  // after 15 s). On a large panel both are heavy on the server; the home should not wait.
  const [listWanted, setListWanted] = useState(false);
  const wantList = useCallback(() => setListWanted(true), []);
  useEffect(() => {
    const t = setTimeout(wantList, 15_000);
    return () => clearTimeout(t);
  }, [wantList]);
  useEffect(() => {
    if (listWanted) void store.loadConversations();
  }, [store, listWanted]);

  const sorted = useMemo(() => (snapshot.conversations ?? []).slice().sort(byActivity), [snapshot.conversations]);
  const current = selection?.kind === "conversation" ? (sorted.find((c) => c.id === selection.id) ?? selection.summary ?? null) : null;
  const totalUnread = sorted.reduce((n, c) => n + c.unread, 0);
  const patientIds = useMemo(() => [...new Set(sorted.map((c) => c.patientId))].sort(), [sorted]);
  const openAlerts = usePanelAlerts(store, patientIds, dashRows);
  const onRows = useCallback((rows: DashboardRow[]) => setDashRows(rows), []);

  const open = (id: string) => {
    setSelection({ kind: "conversation", id });
    store.openConversation(id);
  };
  const back = () => {
    setSelection(null);
    store.closeConversation();
  };

  const openRow = useCallback(
    (row: DashboardRow) => {
      setDetail("patient");
      if (row.conversationId) {
        // The conversation list can take a while on a large panel: the row has what the chat needs.
        const summary: ConversationSummary = {
          id: row.conversationId,
          patientId: row.patientId,
          physicianId: user.id,
          patientName: row.name,
          physicianName: user.name,
          unread: row.unread,
          lastMessageAt: row.lastContactAt,
        };
        setSelection({ kind: "conversation", id: row.conversationId, summary });
        store.openConversation(row.conversationId);
      } else {
        store.closeConversation();
        setSelection({ kind: "record", patientId: row.patientId, name: row.name });
      }
    },
    [store, user],
  );

  const openGrant = useCallback(
    (g: Grant) => {
      store.closeConversation();
      setSelection({ kind: "record", patientId: g.patientId, name: grantTitle(g), knownName: Boolean(g.name), emergencyUntil: g.expiresAt });
    },
    [store],
  );

  const granted = (patientId: string, expiresAt: string, name?: string) => {
    setBreakGlass(false);
    const g: Grant = { patientId, expiresAt, ...(name ? { name } : {}) };
    setGrants((cur) => [...cur.filter((x) => x.patientId !== patientId), g]);
    openGrant(g);
  };

  const conversationLoading = selection?.kind === "conversation" && !current;

  return (
    <main className={`split physician-split${selection ? " has-selection" : ""} home-${home}`} id="main">
      <nav className="conversation-pane" aria-label="Patient conversations">
        <div className="pane-header">
          <h2 className="pane-title">
            Messages
            {totalUnread > 0 && <span className="visually-hidden"> ({totalUnread} unread messages)</span>}
          </h2>
          {snapshot.listStale && (
            <button type="button" className="button-link" onClick={() => void store.loadConversations()}>
              New conversation — refresh
            </button>
          )}
          <button type="button" className="button-link narrow-only" data-testid="show-dashboard" onClick={() => setHome("dashboard")}>
            Dashboard
          </button>
        </div>
        {snapshot.conversations === null ? (
          snapshot.conversationsError ? (
            <div className="pane-message" role="alert">
              <p>{snapshot.conversationsError}</p>
              <button type="button" className="button-secondary" onClick={() => void store.loadConversations()}>
                Try again
              </button>
            </div>
          ) : (
            <p className="pane-message muted">Loading…</p>
          )
        ) : sorted.length === 0 ? (
          <p className="pane-message muted">No patients are assigned to you yet.</p>
        ) : (
          <ul className="conversation-list">
            {sorted.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  className={`conversation-item${c.unread > 0 ? " has-unread" : ""}`}
                  data-testid="conversation-item"
                  data-conversation-id={c.id}
                  aria-current={c.id === current?.id ? "true" : undefined}
                  onClick={() => open(c.id)}
                >
                  <span className="conversation-name">{c.patientName}</span>
                  <span className="conversation-time">
                    {c.lastMessageAt ? (
                      <time dateTime={c.lastMessageAt}>{formatListTime(c.lastMessageAt)}</time>
                    ) : (
                      "No messages"
                    )}
                  </span>
                  <AlertBadge entry={openAlerts[c.patientId]} />
                  {c.unread > 0 && (
                    <>
                      <span className="badge" data-testid="unread-badge" aria-hidden="true">
                        {c.unread > 99 ? "99+" : c.unread}
                      </span>
                      <span className="visually-hidden">
                        , {c.unread} unread message{c.unread === 1 ? "" : "s"}
                      </span>
                    </>
                  )}
                </button>
              </li>
            ))}
          </ul>
        )}
      </nav>
      <div className={`detail-pane show-${detail}`}>
        {current ? (
          <>
            <div className="detail-tabs" role="tablist" aria-label="Chat or patient record">
              <button type="button" className="button-quiet detail-home" data-testid="back-to-dashboard" onClick={back}>
                <span aria-hidden="true">←</span> Dashboard
              </button>
              <button
                type="button"
                role="tab"
                className="section-tab"
                data-testid="detail-tab-chat"
                aria-selected={detail === "chat"}
                onClick={() => setDetail("chat")}
              >
                Chat
              </button>
              <button
                type="button"
                role="tab"
                className="section-tab"
                data-testid="detail-tab-patient"
                aria-selected={detail === "patient"}
                onClick={() => setDetail("patient")}
              >
                Patient record
                {(openAlerts[current.patientId]?.count ?? 0) > 0 && (
                  <span className="badge badge-alert" aria-label={`${openAlerts[current.patientId]?.count} open alerts`}>
                    {openAlerts[current.patientId]?.count}
                  </span>
                )}
              </button>
            </div>
            <div className="detail-body">
              <div className="chat-pane">
                <ChatPanel
                  key={current.id}
                  store={store}
                  snapshot={snapshot}
                  conversation={current}
                  me={user}
                  peerName={current.patientName}
                  peerRole="Patient"
                  onBack={back}
                />
              </div>
              <div className="record-pane">
                <PatientPanel key={current.patientId} store={store} patientId={current.patientId} patientName={current.patientName} onBack={back} />
              </div>
            </div>
          </>
        ) : selection?.kind === "record" ? (
          <RecordOnly key={selection.patientId} store={store} selection={selection} onBack={back} />
        ) : conversationLoading ? (
          <div className="chat-placeholder">
            <p className="muted">{snapshot.conversationsError ?? "Loading the conversation…"}</p>
          </div>
        ) : null}
        {/* Kept mounted while a patient is open: filters, scroll and the live feed survive. */}
        <div className="dash-host" hidden={selection !== null}>
          <DashboardView
            store={store}
            onOpen={openRow}
            onBreakGlass={() => setBreakGlass(true)}
            grants={grants}
            onOpenGrant={openGrant}
            onShowMessages={() => {
              setHome("messages");
              wantList();
            }}
            unreadMessages={totalUnread}
            onRows={onRows}
            onSettled={wantList}
          />
        </div>
      </div>
      {breakGlass && (
        <BreakGlassDialog onGranted={granted} onClose={() => setBreakGlass(false)} />
      )}
    </main>
  );
}

/** A record without a conversation beside it: a panel patient with no chat yet, or emergency access. */
function RecordOnly({ store, selection, onBack }: { store: ChatStore; selection: Extract<Selection, { kind: "record" }>; onBack: () => void }) {
  const now = useNow(1_000);
  const until = selection.emergencyUntil ? Date.parse(selection.emergencyUntil) : null;
  const expired = until !== null && now >= until;
  return (
    <div className="record-only">
      <div className="detail-tabs always">
        <button type="button" className="button-quiet detail-home" data-testid="back-to-dashboard" onClick={onBack}>
          <span aria-hidden="true">←</span> Dashboard
        </button>
      </div>
      {until !== null && <EmergencyBanner patientId={selection.patientId} name={selection.knownName ? selection.name : undefined} until={until} now={now} />}
      {expired ? (
        <div className="chat-placeholder">
          <button type="button" className="button-secondary" onClick={onBack}>
            Back to the dashboard
          </button>
        </div>
      ) : (
        <div className="record-pane record-solo">
          <PatientPanel store={store} patientId={selection.patientId} patientName={selection.name} onBack={onBack} emergency={until !== null} />
        </div>
      )}
    </div>
  );
}

/** Open alerts on a conversation: the count, coloured by the most severe one known. */
function AlertBadge({ entry }: { entry: OpenAlertCounts[string] | undefined }) {
  if (!entry || entry.count <= 0) return null;
  const open = entry.alerts.filter((a) => a.status === "open");
  const worst = SEVERITY_ORDER.find((s) => open.some((a) => a.severity === s) || entry.top === s) ?? "high";
  return (
    <>
      <span className={`badge alert-badge severity-${worst}`} data-testid="alert-badge" aria-hidden="true" title={`${entry.count} open alert${entry.count === 1 ? "" : "s"}`}>
        ! {entry.count}
      </span>
      <span className="visually-hidden">
        , {entry.count} open alert{entry.count === 1 ? "" : "s"} ({SEVERITY_LABELS[worst]})
      </span>
    </>
  );
}
