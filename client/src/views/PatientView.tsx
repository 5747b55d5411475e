import { useEffect, useRef, useState } from "react";
import type { PatientInstruction, PublicUser } from "@glp1/shared";
import { ChatPanel } from "../chat/ChatPanel.js";
import type { ChatStore } from "../chat/store.js";
import { useChat } from "../chat/useChat.js";
import { CrisisBanner, mergeInstructions } from "../clinical/CrisisBanner.js";
import { lazyScreen } from "../components/LazyScreen.js";

// The clinical sections load on first use: the sign-in page and the chat stay small. A section
// opened while offline says so (the tabs and the chat keep working) and loads once back online.
const sectionLoading = { fallback: <p className="clinical-page muted">Loading…</p> };
const IntakeForm = lazyScreen(() => import("../clinical/IntakeForm.js").then((m) => m.IntakeForm), { ...sectionLoading, name: "IntakeForm" });
const MetricLog = lazyScreen(() => import("../clinical/MetricLog.js").then((m) => m.MetricLog), { ...sectionLoading, name: "MetricLog" });
const PatientPrescriptions = lazyScreen(() => import("../clinical/PatientPrescriptions.js").then((m) => m.PatientPrescriptions), {
  ...sectionLoading,
  name: "PatientPrescriptions",
});

interface Props {
  user: PublicUser;
  store: ChatStore;
}

type Section = "chat" | "intake" | "log" | "prescriptions";
const SECTIONS: { id: Section; label: string }[] = [
  { id: "chat", label: "Chat" },
  { id: "intake", label: "Intake" },
  { id: "log", label: "Log" },
  { id: "prescriptions", label: "Prescriptions" },
];

/**
 * A patient: chat with their physician, the eligibility intake, logging readings, and
 * prescriptions. The section lives in memory only (no ids or PHI in the URL).
 */
export function PatientView({ user, store }: Props) {
  const snapshot = useChat(store);
  const [section, setSection] = useState<Section>("chat");
  const [instructions, setInstructions] = useState<PatientInstruction[]>([]);
  const bannerRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void store.loadConversations();
  }, [store]);

  // Crisis instructions pushed by the server (from any tab or device of this patient).
  useEffect(
    () => store.onPush("alert:instructions", ({ instructions: incoming }) => setInstructions((cur) => mergeInstructions(cur, incoming))),
    [store],
  );
  const onInstructions = (incoming: PatientInstruction[] | undefined) => setInstructions((cur) => mergeInstructions(cur, incoming));

  useEffect(() => {
    if (instructions.length > 0) bannerRef.current?.scrollIntoView({ block: "start" });
  }, [instructions]);

  const unread = (snapshot.conversations ?? []).reduce((n, c) => n + c.unread, 0);

  return (
    <div className="patient-shell">
      <nav className="section-nav" aria-label="Sections">
        {SECTIONS.map((s) => (
          <button
            key={s.id}
            type="button"
            className="section-tab"
            data-testid={`nav-${s.id}`}
            aria-current={section === s.id ? "page" : undefined}
            onClick={() => setSection(s.id)}
          >
            {s.label}
            {s.id === "chat" && unread > 0 && section !== "chat" && (
              <>
                <span className="badge" aria-hidden="true">
                  {unread > 99 ? "99+" : unread}
                </span>
                <span className="visually-hidden">, {unread} unread</span>
              </>
            )}
          </button>
        ))}
      </nav>
      <div ref={bannerRef} className="crisis-slot">
        <CrisisBanner instructions={instructions} onDismiss={() => setInstructions([])} />
      </div>
      {section === "chat" ? (
        <PatientChat user={user} store={store} />
      ) : (
        <main className="clinical-main" id="main">
          {section === "intake" && <IntakeForm user={user} onInstructions={onInstructions} />}
          {section === "log" && <MetricLog user={user} store={store} onInstructions={onInstructions} />}
          {section === "prescriptions" && <PatientPrescriptions user={user} />}
        </main>
      )}
    </div>
  );
}

/** The chat with their physician (a choice of physicians if there are several). */
function PatientChat({ user, store }: Props) {
  const snapshot = useChat(store);
  const [selected, setSelected] = useState<string | null>(null);

  const conversations = snapshot.conversations;
  const current = conversations?.find((c) => c.id === selected) ?? conversations?.[0] ?? null;
  const currentId = current?.id ?? null;

  useEffect(() => {
    if (currentId && store.getSnapshot().activeId !== currentId) store.openConversation(currentId);
  }, [store, currentId]);

  // Leaving the chat section: messages that arrive meanwhile count as unread.
  useEffect(() => () => store.closeConversation(), [store]);

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
