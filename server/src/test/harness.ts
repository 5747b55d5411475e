import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { Ack, ClientToServerEvents, Role, ServerToClientEvents } from "@glp1/shared";
import { io as ioClient, type Socket } from "socket.io-client";
import { inject } from "vitest";
import { type RunningApp, startApp } from "../app.js";
import { createMfaService } from "../auth/mfa.service.js";
import { newTotpSecret, timeStep, totpAt } from "../auth/totp.js";
import { buildConfig } from "../config/config.js";
import { createLogger } from "../infra/logger.js";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestApp extends RunningApp {
  /** Every log line the app wrote, for "no PHI in logs" checks. */
  logs: string[];
  dbName: string;
}

/** Put a database name into a MongoDB URI (keeping its options). */
export function withDatabase(uri: string, db: string): string {
  const u = new URL(uri);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Boot the real app on a free port, in a database and Redis namespace of its own. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dbName = `t_${randomBytes(6).toString("hex")}`;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const config = buildConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    MONGODB_URI: withDatabase(inject("mongoUri"), dbName),
    REDIS_URL: inject("redisUrl"),
    DATA_DIR: mkdtempSync(path.join(tmpdir(), "glp1-app-")),
    SESSION_SECRET: randomBytes(32).toString("hex"),
    PHI_MASTER_KEY: randomBytes(32).toString("base64"),
    BCRYPT_COST: "4",
    SESSION_SWEEP_MS: "100",
    AUDIT_FLUSH_MS: "2",
    LOG_LEVEL: "info",
    APP_NAMESPACE: dbName,
    // Tests that are not about MFA or rate limits log staff in with a password, often:
    // those suites set these themselves.
    MFA_REQUIRED_ROLES: "",
    LOGIN_MAX_FAILURES_PER_IP: "100000",
    REGISTER_MAX_PER_IP: "100000",
    SOCKET_EVENTS_MAX: "100000",
    SOCKET_MAX_PER_USER: "1000",
    // Open around the clock, so no after-hours reply joins a conversation depending on when
    // the suite runs; the after-hours tests set their own hours.
    CLINIC_HOURS: "00:00-24:00",
    CLINIC_DAYS: "0,1,2,3,4,5,6",
    ...env,
  });
  const app = await startApp(config, { logger: createLogger("info", sink) });
  return Object.assign(app, { logs, dbName });
}

/** A tiny cookie-keeping HTTP client (one browser's worth of state). */
export class Agent {
  cookie: string | null = null;
  constructor(private readonly base: string) {}

  async request(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    const res = await fetch(this.base + url, { method, headers: h, body: payload, redirect: "manual" });
    const set = res.headers.getSetCookie();
    for (const c of set) {
      const pair = c.split(";")[0]!;
      if (/=\s*$/.test(pair) || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookie = null;
      else this.cookie = pair;
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    return { status: res.status, body: json as any, headers: res.headers, setCookie: set };
  }

  get = (url: string) => this.request("GET", url);
  post = (url: string, body?: unknown) => this.request("POST", url, body ?? {});
}

export interface Person {
  id: string;
  role: Role;
  email: string;
  password: string;
  name: string;
  /** Base32 TOTP secret once `enrollMfa` has run: `loginAgent` then sends a code. */
  totpSecret?: string;
  recoveryCodes?: string[];
}

let counter = 0;
/** Create an account straight through the service (fast, no HTTP). */
export async function makeUser(app: RunningApp, role: Role, over: Partial<Person> = {}): Promise<Person> {
  counter += 1;
  const tag = `${role}${counter}-${randomBytes(3).toString("hex")}`;
  const p = { role, email: `${tag}@example.test`, password: `pw-${tag}-long-enough`, name: `Name ${tag}`, ...over };
  const u = await app.services.auth.createUser(p);
  return { ...p, id: String(u._id) };
}

/** A patient, their physician, and the conversation between them. */
export async function makeCareTeam(app: RunningApp) {
  const patient = await makeUser(app, "patient");
  const physician = await makeUser(app, "physician");
  const team = await app.services.admin.setCareTeam({ patientId: patient.id, physicianIds: [physician.id] }, { resource: "careteam" });
  return { patient, physician, conversationId: team.conversationIds[0]! };
}

export async function loginAgent(app: RunningApp, who: Person): Promise<Agent> {
  const agent = new Agent(app.url);
  const body: Record<string, string> = { email: who.email, password: who.password };
  if (who.totpSecret) body.totp = await freshTotp(who);
  const res = await agent.post("/api/auth/login", body);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body?.error?.code ?? ""}`);
  return agent;
}

/** Activate MFA on an account with a known secret (as the demo seed does); returns the person with it. */
export async function enrollMfa(app: RunningApp, who: Person, secret = newTotpSecret()): Promise<Person> {
  const mfa = createMfaService({ users: app.db.models.users, cipher: app.db.cipher, issuer: app.config.mfaIssuer });
  const recoveryCodes = await mfa.activateWithSecret(who.id, secret);
  return Object.assign(who, { totpSecret: secret, recoveryCodes });
}

/** The TOTP code for a moment (default now). */
export const totpCode = (secret: string, atMs = Date.now()) => totpAt(secret, timeStep(atMs));

const spentSteps = new Map<string, number>();
/**
 * A code this process has not spent yet for this person: the server refuses a step at or
 * before the last one used, so a second login in the same 30 s takes the next step (still
 * inside the ±1 window), or waits for one.
 */
export async function freshTotp(who: Person): Promise<string> {
  if (!who.totpSecret) throw new Error("enrollMfa first");
  for (;;) {
    const now = timeStep();
    const step = Math.max(now, (spentSteps.get(who.id) ?? -1) + 1);
    if (step <= now + 1) {
      spentSteps.set(who.id, step);
      return totpAt(who.totpSecret, step);
    }
    await sleep(1000);
  }
}

/** Connect a real socket.io client with a session cookie; rejects with the connect_error message. */
export function connectSocket(app: RunningApp, cookie: string | null, headers: Record<string, string> = {}): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(app.url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    extraHeaders: { ...(cookie ? { cookie } : {}), ...headers },
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emit with an ack and resolve with the ack envelope. */
export function emitAck<T = unknown>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<Ack<T>> {
  return (socket.timeout(5000) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<Ack<T>> }).emitWithAck(event, ...args);
}

/**
 * Resolves true when `event` did NOT arrive within `ms`, false as soon as it does. Never
 * rejects, so a check set up early cannot become an unhandled rejection on a slow machine.
 */
export function noEvent(socket: ClientSocket, event: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onEvent = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      (socket as unknown as { off(e: string, f: () => void): void }).off(event, onEvent);
      resolve(true);
    }, ms);
    (socket as unknown as { once(e: string, f: () => void): void }).once(event, onEvent);
  });
}

/** Emit with an ack and a longer patience than `emitAck` (load tests). */
export function emitAckWithin<T = unknown>(ms: number, socket: ClientSocket, event: string, payload: unknown): Promise<Ack<T>> {
  return (socket.timeout(ms) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<Ack<T>> }).emitWithAck(event, payload);
}

/** Resolve with the next `event` the socket receives. */
export function nextEvent<T = unknown>(socket: ClientSocket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as { once(e: string, f: (p: T) => void): void }).once(event, (p: T) => {
      clearTimeout(timer);
      resolve(p);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until the audit writer has stored everything queued so far. */
export const auditSettled = (app: RunningApp) => app.audit.flush();
