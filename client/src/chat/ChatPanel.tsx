import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ConversationSummary, PublicUser } from "@glp1/shared";
import { visibleMessages } from "./merge.js";
import { Composer } from "./Composer.js";
import { MessageList } from "./MessageList.js";
import type { ChatSnapshot, ChatStore, Connection } from "./store.js";

interface Props {
  store: ChatStore;
  snapshot: ChatSnapshot;
  conversation: ConversationSummary;
  me: PublicUser;
  peerName: string;
  peerRole: string;
  /** Narrow screens: back to the conversation list. */
  onBack?: () => void;
}

const CONNECTION_LABELS: Record<Connection, string> = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** How long after the user's last interaction a newly arrived message counts as seen. */
const READ_INTENT_MS = 60_000;

export function ChatPanel({ store, snapshot, conversation, me, peerName, peerRole, onBack }: Props) {
  const id = conversation.id;
  const thread = snapshot.threads[id];
  const [stickToken, setStickToken] = useState(0);

  const messages = useMemo(
    () =>
      visibleMessages(
        thread?.stored ?? [],
        snapshot.pending.filter((p) => p.conversationId === id),
        me.id,
      ),
    [thread?.stored, snapshot.pending, id, me.id],
  );

  // Read receipts renew the session on the server, so they go out only on the user's behalf:
  // when the conversation is opened, or within a minute of the user touching the page, never
  // merely because a pushed message arrived while nobody was there.
  const readIntentUntil = useRef(Date.now() + READ_INTENT_MS);
  const tryRead = useCallback(() => {
    if (document.visibilityState !== "visible") return;
    if (Date.now() > readIntentUntil.current) return;
    store.markRead(id);
  }, [store, id]);

  useEffect(() => {
    readIntentUntil.current = Date.now() + READ_INTENT_MS;
  }, [id]);

  useEffect(() => {
    const interacted = () => {
      readIntentUntil.current = Date.now() + READ_INTENT_MS;
      tryRead();
    };
    const events = ["pointerdown", "keydown", "wheel", "touchstart"] as const;
    for (const e of events) window.addEventListener(e, interacted, { capture: true, passive: true });
    window.addEventListener("focus", interacted);
    return () => {
      for (const e of events) window.removeEventListener(e, interacted, { capture: true });
      window.removeEventListener("focus", interacted);
    };
  }, [tryRead]);

  const latestId = thread?.stored.at(-1)?.id;
  useEffect(() => {
    if (thread?.loaded) tryRead();
  }, [latestId, thread?.loaded, tryRead]);

  // Closed (the physician left the care team): a physician's record beside it closes too.
  const closed = snapshot.closed[id] !== undefined || (me.role === "physician" && snapshot.lostPatients[conversation.patientId] === true);
  useEffect(() => {
    if (closed && me.role === "physician") store.markPatientLost(conversation.patientId, id);
  }, [closed, me.role, store, conversation.patientId, id]);

  const typingName = thread?.typingUserId ? peerName : null;
  const connection = snapshot.connection;

  return (
    <section className="chat" aria-labelledby={`chat-title-${id}`}>
      <header className="chat-header">
        {onBack && (
          <button type="button" className="button-quiet back-button" onClick={onBack}>
            <span aria-hidden="true">←</span> All patients
          </button>
        )}
        <div className="chat-heading">
          <h2 id={`chat-title-${id}`} data-testid="chat-title">
            {peerName}
          </h2>
          <p className="chat-subtitle">{closed ? "Conversation closed" : peerRole}</p>
        </div>
        <p className={`connection connection-${connection}`} data-testid="connection-status" role="status">
          {CONNECTION_LABELS[connection]}
        </p>
      </header>

      {closed ? (
        <ClosedNotice peerName={peerName} physicianSide={me.role === "physician"} />
      ) : (
        <>
          {thread?.loadError && (
            <div className="banner banner-error" role="alert">
              <span>{thread.loadError}</span>
              <button type="button" className="button-link" onClick={() => store.openConversation(id)}>
                Try again
              </button>
            </div>
          )}

          {!thread?.loaded && !thread?.loadError ? (
            <div className="chat-loading message-scroll" aria-busy="true">
              <p className="muted">Loading conversation…</p>
            </div>
          ) : (
            <MessageList
              messages={messages}
              myId={me.id}
              peerId={me.id === conversation.patientId ? conversation.physicianId : conversation.patientId}
              peerName={peerName}
              peerReadId={thread?.peerReadId ?? null}
              hasOlder={thread?.hasOlder ?? false}
              loadingOlder={thread?.loadingOlder ?? false}
              onLoadOlder={() => void store.loadOlder(id)}
              onRetry={(clientId) => store.retry(clientId)}
              onDiscard={(clientId) => store.discard(clientId)}
              stickToken={stickToken}
              emptyText={`No messages yet. Say hello to ${peerName}.`}
            />
          )}

          <div className="typing-slot" aria-live="polite">
            {typingName && (
              <p className="typing-indicator" data-testid="typing-indicator">
                {typingName} is typing…
              </p>
            )}
          </div>

          <Composer
            peerName={peerName}
            onTyping={() => store.typing(id)}
            onSend={(body) => {
              store.send(id, body);
              setStickToken((n) => n + 1);
            }}
          />
        </>
      )}
    </section>
  );
}

/** In place of the thread and the composer once the conversation is closed to this user. */
function ClosedNotice({ peerName, physicianSide }: { peerName: string; physicianSide: boolean }) {
  return (
    <div className="chat-loading message-scroll">
      <div className="notice" role="status" data-testid="conversation-closed">
        {physicianSide ? (
          <>
            <p>
              <strong>You are no longer on {peerName}&apos;s care team.</strong>
            </p>
            <p>This conversation is closed. Its history stays in the clinic&apos;s records, but you can no longer read or add to it.</p>
          </>
        ) : (
          <>
            <p>
              <strong>{peerName} is no longer on your care team.</strong>
            </p>
            <p>This conversation is closed. Please message your current physician instead.</p>
          </>
        )}
      </div>
    </div>
  );
}
