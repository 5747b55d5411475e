import { useEffect, useState } from "react";
import type { PublicUser } from "@glp1/shared";
import { ChatPanel } from "../chat/ChatPanel.js";
import type { ChatStore } from "../chat/store.js";
import { useChat } from "../chat/useChat.js";

interface Props {
  user: PublicUser;
  store: ChatStore;
}

/** A patient: the chat with their physician (a choice of physicians if there are several). */
export function PatientView({ user, store }: Props) {
  const snapshot = useChat(store);
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    void store.loadConversations();
  }, [store]);

  const conversations = snapshot.conversations;
  const current = conversations?.find((c) => c.id === selected) ?? conversations?.[0] ?? null;
  const currentId = current?.id ?? null;

  useEffect(() => {
    if (currentId && store.getSnapshot().activeId !== currentId) store.openConversation(currentId);
  }, [store, currentId]);

  if (conversations === null) {
    return (
      <main className="page-message" id="main">
        {snapshot.conversationsError ? (
          <div role="alert">
            <p>{snapshot.conversationsError}</p>
            <button type="button" className="button-secondary" onClick={() => void store.loadConversations()}>
              Try again
            </button>
          </div>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </main>
    );
  }

  if (!current) {
    return (
      <main className="page-message" id="main">
        <h1>Welcome, {user.name}</h1>
        <p>
          You are not connected with a physician yet. The clinic will assign your care team soon; your chat will appear
          here.
        </p>
      </main>
    );
  }

  return (
    <main className="patient-layout" id="main">
      {conversations.length > 1 && (
        <nav className="physician-tabs" aria-label="Your physicians">
          {conversations.map((c) => (
            <button
              key={c.id}
              type="button"
              className="tab"
              data-testid="conversation-item"
              data-conversation-id={c.id}
              aria-current={c.id === current.id ? "true" : undefined}
              onClick={() => setSelected(c.id)}
            >
              {c.physicianName}
              {c.unread > 0 && c.id !== current.id && (
                <>
                  <span className="badge" data-testid="unread-badge" aria-hidden="true">
                    {c.unread}
                  </span>
                  <span className="visually-hidden">, {c.unread} unread</span>
                </>
              )}
            </button>
          ))}
        </nav>
      )}
      <ChatPanel
        key={current.id}
        store={store}
        snapshot={snapshot}
        conversation={current}
        me={user}
        peerName={current.physicianName}
        peerRole="Your physician"
      />
    </main>
  );
}
