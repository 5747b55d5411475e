import type { ChatMessage, ClientToServerEvents, ServerToClientEvents } from "@glp1/shared";
import { io as ioClient, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../server/src/app.js";
import { createAdminService } from "../server/src/features/admin/admin.service.js";
import { createAuthService } from "../server/src/auth/auth.service.js";
import { buildConfig } from "../server/src/config/config.js";
import { verifyAuditChains } from "../server/src/audit/verify.js";
import { Agent, sleep } from "../server/src/test/harness.js";
import { clusterEnv, type NodeProcess, startNode } from "./nodes.js";

type S = Socket<ServerToClientEvents, ClientToServerEvents>;

let env: Record<string, string>;
let db: Database;
const nodes: NodeProcess[] = [];
const sockets: S[] = [];

beforeAll(async () => {
  env = clusterEnv();
  db = await openDatabase(buildConfig(env));
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  for (const n of nodes) if (n.child.exitCode === null) n.child.kill("SIGKILL");
  await db?.conn.close();
});

let seq = 0;
async function careTeam() {
  const auth = createAuthService({ users: db.models.users, cipher: db.cipher, bcryptCost: 4 });
  seq += 1;
  const mk = (role: "patient" | "physician") =>
    auth.createUser({ role, email: `${role}${seq}-${Date.now()}@multi.test`, password: "multi-node-password", name: `${role} ${seq}` });
  const [p, d] = [await mk("patient"), await mk("physician")];
  const team = await createAdminService(db.models).setCareTeam({ patientId: String(p._id), physicianIds: [String(d._id)] }, { resource: "careteam" });
  return { patient: { id: String(p._id), email: p.email }, physician: { id: String(d._id), email: d.email }, conversationId: team.conversationIds[0]! };
}

async function login(node: NodeProcess, email: string): Promise<Agent> {
  const a = new Agent(node.url);
  const r = await a.post("/api/auth/login", { email, password: "multi-node-password" });
  if (r.status !== 200) throw new Error(`login ${r.status}`);
  return a;
}

function connect(node: NodeProcess, cookie: string | null, opts: { reconnection?: boolean } = {}): Promise<S> {
  const s: S = ioClient(node.url, { transports: ["websocket"], forceNew: true, reconnection: opts.reconnection ?? false, extraHeaders: cookie ? { cookie } : {} });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

const send = (s: S, conversationId: string, body: string, clientId: string) =>
  (s.timeout(4000) as unknown as { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; data?: { message: ChatMessage } }> }).emitWithAck("chat:send", {
    conversationId,
    body,
    clientId,
  });

describe("two server processes sharing the database and Redis", () => {
  it("share sessions, chat across nodes, end sockets everywhere at logout, and fan readings out", async () => {
    const a = await startNode(env, "node-a");
    const b = await startNode(env, "node-b");
    nodes.push(a, b);
    const t = await careTeam();

    // A session made on A works on B (the cookie is all B needs).
    const patientOnA = await login(a, t.patient.email);
    const sameOnB = new Agent(b.url);
    sameOnB.cookie = patientOnA.cookie;
    expect((await sameOnB.get("/api/auth/me")).body.user.id).toBe(t.patient.id);

    const physicianOnB = await login(b, t.physician.email);
    const patientSocket = await connect(a, patientOnA.cookie);
    const physicianSocket = await connect(b, physicianOnB.cookie);
    const received = new Promise<{ message: ChatMessage }>((r) => physicianSocket.once("chat:message", r));
    const ack = await send(patientSocket, t.conversationId, "hello across nodes", "multinode-001");
    expect(ack.ok).toBe(true);
    expect((await received).message.body).toBe("hello across nodes");

    // A physician's live feed on B sees readings posted to A.
    const sub = await (physicianSocket.timeout(4000) as unknown as { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean }> }).emitWithAck("metrics:subscribe", { patientId: t.patient.id });
    expect(sub.ok).toBe(true);
    const update = new Promise<{ readings: Array<{ value: unknown }> }>((r) => physicianSocket.once("metrics:update", r));
    await patientOnA.post("/api/metrics", { readings: [{ kind: "weight", value: 101.5, unit: "kg", observedAt: new Date().toISOString() }] });
    expect((await update).readings[0]!.value).toBe(101.5);

    // Logout on A ends the same session's socket on B within 3 s.
    const onB = await connect(b, patientOnA.cookie);
    const started = Date.now();
    const expired = new Promise((r) => onB.once("session:expired", r));
    const closed = new Promise((r) => onB.once("disconnect", r));
    expect((await patientOnA.post("/api/auth/logout")).status).toBe(204);
    await Promise.all([expired, closed]);
    expect(Date.now() - started).toBeLessThan(3000);
  }, 60_000);

  it("loses and doubles nothing when a node is killed mid-chat (SIGKILL) and clients resend on the other", async () => {
    const a = await startNode(env, "node-kill-a");
    const b = await startNode(env, "node-kill-b");
    nodes.push(a, b);
    const t = await careTeam();
    const patientAgent = await login(a, t.patient.email);
    let socket = await connect(a, patientAgent.cookie);
    const acked = new Map<string, string>();
    const unacked = new Set<string>();
    let killed = false;
    const sendOne = async (clientId: string) => {
      try {
        const r = await send(socket, t.conversationId, `message ${clientId}`, clientId);
        if (r.ok && r.data) {
          acked.set(clientId, r.data.message.id);
          unacked.delete(clientId);
        } else unacked.add(clientId);
      } catch {
        unacked.add(clientId);
      }
    };
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const id = `kill-${String(i).padStart(3, "0")}`;
      unacked.add(id);
      inFlight.push(sendOne(id));
      if (i === 30 && !killed) {
        a.child.kill("SIGKILL");
        killed = true;
      }
      await sleep(5);
    }
    await Promise.allSettled(inFlight);
    await a.exited;
    const lostWithTheNode = unacked.size;
    expect(lostWithTheNode).toBeGreaterThan(0); // the kill really cut some sends off
    // The client reconnects to the surviving node and resends everything not acknowledged, same clientIds.
    socket = await connect(b, patientAgent.cookie);
    for (const id of [...unacked]) await sendOne(id);
    expect(unacked.size).toBe(0);
    const stored = await db.models.messages.find({ conversationId: t.conversationId }).lean();
    const byClient = new Map<string, number>();
    for (const m of stored) byClient.set(m.clientId, (byClient.get(m.clientId) ?? 0) + 1);
    expect(stored).toHaveLength(60);
    for (const [clientId, id] of acked) {
      expect(byClient.get(clientId)).toBe(1);
      expect(stored.find((m) => m.clientId === clientId)!._id.toString()).toBe(id);
    }
    process.stdout.write(
      `[kill-node] 60 sent; ${lostWithTheNode} unacknowledged when node A died, resent to B; ${byClient.size} stored, ${60 - byClient.size} missing, ${stored.length - byClient.size} doubled\n`,
    );
    // Every chain verifies, the killed node's included (its tail simply ends where it died).
    const report = await verifyAuditChains(db.conn.db!.collection("audit"));
    expect(report.problems).toEqual([]);
  }, 90_000);

  it("drains on SIGTERM: clients are told to reconnect and every acknowledged message is stored once", async () => {
    const a = await startNode(env, "node-term-a");
    const b = await startNode(env, "node-term-b");
    nodes.push(a, b);
    const t = await careTeam();
    const patientAgent = await login(a, t.patient.email);
    const socket = await connect(a, patientAgent.cookie);
    const disconnected = new Promise<string>((r) => socket.once("disconnect", r));
    const acks: Array<Promise<{ ok: boolean }>> = [];
    for (let i = 0; i < 40; i++) {
      acks.push(send(socket, t.conversationId, `drain ${i}`, `drain-${String(i).padStart(3, "0")}`).catch(() => ({ ok: false })));
      if (i === 20) a.child.kill("SIGTERM");
      await sleep(3);
    }
    const results = await Promise.all(acks);
    // A transport close (not a server "kick") makes socket.io clients reconnect by themselves.
    expect(await disconnected).toBe("transport close");
    expect((await a.exited).code).toBe(0);
    const okIds = results.map((r, i) => (r.ok ? `drain-${String(i).padStart(3, "0")}` : null)).filter(Boolean);
    const stored = await db.models.messages.find({ conversationId: t.conversationId }).lean();
    for (const id of okIds) expect(stored.filter((m) => m.clientId === id)).toHaveLength(1);
    expect(new Set(stored.map((m) => m.clientId)).size).toBe(stored.length);
    // The surviving node keeps serving the same session.
    const again = await connect(b, patientAgent.cookie);
    expect(again.connected).toBe(true);
  }, 60_000);
});

describe("shutdown with a database that stopped answering", () => {
  it("exits after SHUTDOWN_TIMEOUT_MS instead of hanging, and says so", async () => {
    const { startServices } = await import("../scripts/src/services.js");
    const { mkdtempSync, readFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    // A database of its own, so freezing it touches nothing else.
    const dataDir = mkdtempSync(path.join(tmpdir(), "glp1-jam-"));
    const own = await startServices({ dataDir, redisUrl: env.REDIS_URL });
    const ferret = (JSON.parse(readFileSync(path.join(dataDir, "services.pids.json"), "utf8")) as Array<{ pid: number; name: string }>).find((p) => p.name === "ferretdb");
    try {
      const node = await startNode(clusterEnv({ MONGODB_URI: own.mongoUri, SHUTDOWN_TIMEOUT_MS: "2000" }), "node-jam");
      nodes.push(node);
      if (ferret) process.kill(ferret.pid, "SIGSTOP");
      // A sign-in under way: it waits on the database, and its audit entry cannot be stored.
      const pending = fetch(`${node.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: node.url },
        body: JSON.stringify({ email: "nobody@example.test", password: "not-a-real-password" }),
      }).catch(() => null);
      await sleep(300);
      const t0 = Date.now();
      node.child.kill("SIGTERM");
      const { code } = await node.exited;
      const took = Date.now() - t0;
      expect(code).toBe(1);
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(10_000);
      expect(node.output.join("")).toContain("shutdown did not finish in time");
      expect(await pending).toBeNull(); // the connection was cut, not answered
    } finally {
      if (ferret) process.kill(ferret.pid, "SIGCONT");
      await own.stop();
    }
  }, 60_000);
});
