import { Suspense, lazy, useEffect, useMemo, useState } from "react";
import type { ConversationSummary, PublicUser } from "@glp1/shared";
import { ChatPanel } from "../chat/ChatPanel.js";
import type { ChatStore } from "../chat/store.js";
import { useChat } from "../chat/useChat.js";
import { SEVERITY_LABELS } from "../clinical/labels.js";
import { usePanelAlerts, type OpenAlertCounts } from "../clinical/useAlerts.js";
import { formatListTime } from "../format.js";

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
const PatientPanel = lazy(() => import("../clinical/PatientPanel.js").then((m) => ({ default: m.PatientPanel })));

const SEVERITY_ORDER = ["urgent", "high", "medium"] as const;

/**
 * A physician: their patients' conversations on the left; the open chat and the patient's
 * record beside it (side by side on wide screens, as tabs otherwise). Selection lives in
 * memory only: no patient ids in the URL.
 */
export function PhysicianView({ user, store }: Props) {
  const snapshot = useChat(store);
  const [selected, setSelected] = useState<string | null>(null);
  const [detail, setDetail] = useState<"chat" | "patient">("chat");

  useEffect(() => {
    void store.loadConversations();
  }, [store]);

  const sorted = useMemo(() => (snapshot.conversations ?? []).slice().sort(byActivity), [snapshot.conversations]);
  const current = sorted.find((c) => c.id === selected) ?? null;
  const totalUnread = sorted.reduce((n, c) => n + c.unread, 0);
  const patientIds = useMemo(() => [...new Set(sorted.map((c) => c.patientId))].sort(), [sorted]);
  const openAlerts = usePanelAlerts(store, patientIds);

  const open = (id: string) => {
    setSelected(id);
    store.openConversation(id);
  };
  const back = () => {
    setSelected(null);
    store.closeConversation();
  };

  return (
    <main className={`split${current ? " has-selection" : ""}`} id="main">
      <nav className="conversation-pane" aria-label="Patient conversations">
        <div className="pane-header">
          <h1>
            Patients
            {totalUnread > 0 && <span className="visually-hidden"> ({totalUnread} unread messages)</span>}
          </h1>
          {snapshot.listStale && (
            <button type="button" className="button-link" onClick={() => void store.loadConversations()}>
              New conversation — refresh
            </button>
          )}
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
                <Suspense fallback={<p className="chat-placeholder muted">Loading the record…</p>}>
                  <PatientPanel key={current.patientId} store={store} patientId={current.patientId} patientName={current.patientName} onBack={back} />
                </Suspense>
              </div>
            </div>
          </>
        ) : (
          <div className="chat-placeholder">
            <p className="muted">Choose a patient to open the conversation and their record.</p>
          </div>
        )}
      </div>
    </main>
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
