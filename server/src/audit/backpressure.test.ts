import type { ChatMessage } from "@glp1/shared";
import { afterAll, describe, expect, it } from "vitest";
import { auditSettled, type ClientSocket, connectSocket, emitAckWithin, loginAgent, makeCareTeam, startTestApp, type TestApp } from "../test/harness.js";

const apps: TestApp[] = [];
const open: ClientSocket[] = [];
afterAll(async () => {
  open.forEach((s) => s.close());
  for (const a of apps) await a.close();
});

async function burst(env: Record<string, string>, perSocket: number, prefill = 0) {
  const app = await startTestApp({ SOCKET_EVENTS_MAX: "100000", ...env });
  apps.push(app);
  const teams = await Promise.all([1, 2, 3, 4].map(() => makeCareTeam(app)));
  const sockets = await Promise.all(teams.map(async (t) => connectSocket(app, (await loginAgent(app, t.patient)).cookie)));
  open.push(...sockets);
  // Synthetic entries queued ahead of the burst keep the buffer above its high-water mark.
  for (let i = 0; i < prefill; i++) void app.audit.record({ action: "test:prefill", resource: "test", outcome: "success" });
  const acks = await Promise.all(
    sockets.flatMap((s, i) =>
      Array.from({ length: perSocket }, (_, j) =>
        emitAckWithin<{ message: ChatMessage }>(30_000, s, "chat:send", { conversationId: teams[i]!.conversationId, body: `burst ${j}`, clientId: `burst-${i}-${j}-xx` }).catch(() => null),
      ),
    ),
  );
  await auditSettled(app);
  const ids = teams.map((t) => t.conversationId);
  return {
    acks,
    stored: await app.db.models.messages.countDocuments({ conversationId: { $in: ids } }),
    audited: await app.db.models.audit.countDocuments({ action: "chat:send", outcome: "success", patientId: { $in: teams.map((t) => t.patient.id) } }),
    refusedEntries: await app.db.models.audit.countDocuments({ reason: "AUDIT_BACKPRESSURE" }),
    app,
  };
}

describe("audit under load", () => {
  it("slows events down when the audit buffer is full, and audits each one exactly once", async () => {
    // A tiny high-water mark and slow batches force every event through the backpressure path.
    const r = await burst({ AUDIT_HIGH_WATER: "5", AUDIT_MAX_BATCH: "5", AUDIT_FLUSH_MS: "20", AUDIT_WAIT_MS: "20000" }, 40);
    expect(r.acks.every((a) => a?.ok)).toBe(true);
    expect(r.stored).toBe(160);
    expect(r.audited).toBe(160);
    expect(r.refusedEntries).toBe(0);
  }, 90_000);

  it("past the wait limit refuses with a clear error before acting; stored messages and audit entries still match", async () => {
    const r = await burst({ AUDIT_HIGH_WATER: "50", AUDIT_MAX_BATCH: "5", AUDIT_WAIT_MS: "1" }, 30, 3000);
    const ok = r.acks.filter((a) => a?.ok).length;
    const refused = r.acks.filter((a) => a && !a.ok && a.error.code === "AUDIT_UNAVAILABLE").length;
    expect(refused).toBeGreaterThan(0);
    expect(ok + refused).toBe(120);
    expect(r.stored).toBe(ok);
    expect(r.audited).toBe(ok);
    expect(r.refusedEntries).toBe(refused);
  }, 90_000);
});
