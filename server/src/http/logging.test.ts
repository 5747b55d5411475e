import type { ChatMessage } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, connectSocket, emitAck, loginAgent, makeCareTeam, startTestApp, type TestApp } from "../test/harness.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

describe("logs", () => {
  it("hold no password, PHI or session id after a whole session of use", async () => {
    const team = await makeCareTeam(app);
    const agent = await loginAgent(app, team.patient);
    await new Agent(app.url).post("/api/auth/login", { email: team.physician.email, password: "a-wrong-password" });
    await new Agent(app.url).request("POST", "/api/auth/login", `{"email":"${team.patient.email}", broken`);
    const socket = await connectSocket(app, agent.cookie);
    const body = "I feel dizzy after the 1.0 mg dose";
    const ack = await emitAck<{ message: ChatMessage }>(socket, "chat:send", { conversationId: team.conversationId, body, clientId: "log-test-001" });
    expect(ack.ok).toBe(true);
    await agent.get(`/api/conversations/${team.conversationId}/messages`);
    await new Agent(app.url).post("/api/auth/register", { email: team.patient.email, password: "another-long-pass", name: team.patient.name });
    socket.close();
    await agent.post("/api/auth/logout");

    expect(app.logs.length).toBeGreaterThan(5); // the requests above were logged
    const sid = decodeURIComponent(agent.cookie ?? "").split("=")[1] ?? "";
    const text = app.logs.join("\n");
    for (const secret of [team.patient.email, team.patient.name, team.patient.password, team.physician.email, body, "a-wrong-password"]) {
      expect(text).not.toContain(secret);
    }
    if (sid) expect(text).not.toContain(sid.slice(2, 20));
    expect(text).not.toMatch(/glp1\.sid/);
  });
});
