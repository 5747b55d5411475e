// @vitest-environment node
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "@glp1/shared";
import { mergeMessages, newClientId, visibleMessages, type PendingMessage } from "./merge.js";

const ME = "a".repeat(24);
const DOC = "b".repeat(24);
const CONV = "c".repeat(24);

function msg(n: number, senderId = DOC, clientId = `client-${n}`): ChatMessage {
  return {
    id: n.toString(16).padStart(24, "0"),
    conversationId: CONV,
    senderId,
    body: `message ${n}`,
    clientId,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  };
}

describe("mergeMessages", () => {
  it("deduplicates by id and keeps oldest first", () => {
    const merged = mergeMessages([msg(1), msg(3)], [msg(2), msg(3), msg(1)]);
    expect(merged.map((m) => m.body)).toEqual(["message 1", "message 2", "message 3"]);
  });
});

describe("visibleMessages", () => {
  const pending: PendingMessage = {
    clientId: "pending-1",
    conversationId: CONV,
    body: "hello",
    createdAt: new Date().toISOString(),
    state: "sending",
  };

  it("shows a pending message after the stored ones", () => {
    const view = visibleMessages([msg(1)], [pending], ME);
    expect(view.map((m) => [m.body, m.state])).toEqual([
      ["message 1", "sent"],
      ["hello", "sending"],
    ]);
  });

  it("hides a pending message once its stored copy arrived, keeping the same key", () => {
    const before = visibleMessages([], [pending], ME);
    const stored = { ...msg(5, ME, "pending-1"), body: "hello" };
    const after = visibleMessages([stored], [pending], ME);
    expect(after).toHaveLength(1);
    expect(after[0]?.state).toBe("sent");
    expect(after[0]?.key).toBe(before[0]?.key);
  });

  it("does not let someone else's clientId hide my pending message", () => {
    const view = visibleMessages([msg(5, DOC, "pending-1")], [pending], ME);
    expect(view).toHaveLength(2);
  });
});

describe("newClientId", () => {
  it("fits the chat:send schema", () => {
    expect(newClientId()).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(newClientId()).not.toBe(newClientId());
  });
});
