import { useEffect, useMemo, useState } from "react";
import type { ConversationSummary, PublicUser } from "@glp1/shared";
import { ChatPanel } from "../chat/ChatPanel.js";
import type { ChatStore } from "../chat/store.js";
import { useChat } from "../chat/useChat.js";
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

/** A physician: their patients' conversations on the left, the open chat on the right. */
export function PhysicianView({ user, store }: Props) {
  const snapshot = useChat(store);
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    void store.loadConversations();
  }, [store]);

  const sorted = useMemo(() => (snapshot.conversations ?? []).slice().sort(byActivity), [snapshot.conversations]);
  const current = sorted.find((c) => c.id === selected) ?? null;
  const totalUnread = sorted.reduce((n, c) => n + c.unread, 0);

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
      <div className="chat-pane">
        {current ? (
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
        ) : (
          <div className="chat-placeholder">
            <p className="muted">Choose a patient to open the conversation.</p>
          </div>
        )}
      </div>
    </main>
  );
}
