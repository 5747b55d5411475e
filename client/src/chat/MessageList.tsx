import { useEffect, useLayoutEffect, useRef } from "react";
import { SYSTEM_SENDER_ID } from "@glp1/shared";
import { formatMessageTime } from "../format.js";
import type { ViewMessage } from "./merge.js";

interface Props {
  messages: ViewMessage[];
  myId: string;
  /** The other participant; a message from anyone else came from the clinic (support, or an automatic reply). */
  peerId: string;
  peerName: string;
  /** The latest message the other participant has read. */
  peerReadId: string | null;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
  /** Bumped when the user sends, to scroll to the bottom whatever the position. */
  stickToken: number;
  emptyText: string;
}

const NEAR_BOTTOM_PX = 64;

function statusText(m: ViewMessage): string | null {
  switch (m.state) {
    case "sending":
      return "Sending…";
    case "queued":
      return "Not delivered yet — retrying";
    case "failed":
      return `Not sent${m.error ? `: ${m.error}` : ""}`;
    default:
      return null;
  }
}

/** Who a message is from, as the reader should see it: never the physician for what support or the system sent. */
function senderOf(senderId: string, myId: string, peerId: string, peerName: string): { kind: "mine" | "peer" | "clinic"; label: string } {
  if (senderId === myId) return { kind: "mine", label: "You" };
  if (senderId === peerId) return { kind: "peer", label: peerName };
  if (senderId === SYSTEM_SENDER_ID) return { kind: "clinic", label: "GLP-1 Care · automatic reply" };
  return { kind: "clinic", label: "Clinic support team" };
}

export function MessageList(props: Props) {
  const { messages, myId, peerId, peerName, peerReadId } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previous = useRef<{ firstKey: string | null; height: number; stick: number }>({
    firstKey: null,
    height: 0,
    stick: props.stickToken,
  });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const firstKey = messages[0]?.key ?? null;
    const prev = previous.current;
    if (prev.stick !== props.stickToken) atBottom.current = true;
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else if (prev.firstKey !== null && firstKey !== prev.firstKey) {
      // Older messages were added above: keep what the user was reading in place.
      el.scrollTop += el.scrollHeight - prev.height;
    }
    previous.current = { firstKey, height: el.scrollHeight, stick: props.stickToken };
  }, [messages, props.stickToken]);

  // A list that was hidden (a tab on a narrow screen) or resized (an on-screen keyboard)
  // keeps showing the newest message when that is where the reader was.
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  };

  // "Seen" goes under my latest message at or before the one the other side has read.
  let seenKey: string | null = null;
  if (peerReadId) {
    const readIndex = messages.findIndex((m) => m.id === peerReadId);
    for (let i = readIndex; i >= 0; i--) {
      const m = messages[i];
      if (m && m.senderId === myId) {
        seenKey = m.key;
        break;
      }
    }
  }

  return (
    <div className="message-scroll" ref={scroller} onScroll={onScroll}>
      {props.hasOlder && (
        <div className="load-older">
          <button type="button" className="button-quiet" onClick={props.onLoadOlder} disabled={props.loadingOlder}>
            {props.loadingOlder ? "Loading…" : "Load earlier messages"}
          </button>
        </div>
      )}
      {messages.length === 0 && <p className="chat-empty muted">{props.emptyText}</p>}
      <ol className="message-list" data-testid="message-list" role="log" aria-live="polite" aria-label={`Messages with ${peerName}`}>
        {messages.map((m) => {
          const from = senderOf(m.senderId, myId, peerId, peerName);
          const mine = from.kind === "mine";
          const pending = m.state !== "sent";
          const status = statusText(m);
          return (
            <li
              key={m.key}
              className={`message ${mine ? "mine" : "theirs"}${from.kind === "clinic" ? " from-clinic" : ""} state-${m.state}`}
              data-testid="message"
              data-pending={pending ? "true" : undefined}
              data-state={m.state}
              data-message-id={m.id ?? undefined}
              data-client-id={m.clientId}
            >
              {from.kind === "clinic" ? (
                <p className="message-sender" data-testid="message-sender">
                  {from.label}
                </p>
              ) : (
                <span className="visually-hidden">{from.label}: </span>
              )}
              <p className="message-body">{m.body}</p>
              <p className="message-meta">
                {!pending && <time dateTime={m.createdAt}>{formatMessageTime(m.createdAt)}</time>}
                {status && <span className="message-status">{status}</span>}
                {m.key === seenKey && <span className="message-seen">Seen</span>}
              </p>
              {(m.state === "failed" || m.state === "queued") && (
                <p className="message-actions">
                  <button type="button" className="button-link" onClick={() => props.onRetry(m.clientId)}>
                    Retry
                  </button>
                  {m.state === "failed" && (
                    <button type="button" className="button-link" onClick={() => props.onDiscard(m.clientId)}>
                      Discard
                    </button>
                  )}
                </p>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
