import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Ack, ClientToServerEvents, ConversationSummary, Reading, ServerToClientEvents } from "@glp1/shared";
import { io as ioClient, type Socket } from "socket.io-client";
import { parseFlags } from "./cli-env.js";
import { DEFAULT_DEMO_PASSWORD } from "./demo-clinic.js";

/**
 * `npm run simulate -- [--url http://localhost:3000] [--patients 10] [--rate 1] [--window 2]
 *                      [--first 1] [--timeout 10] [--every 5] [--duration 0]`
 *
 * Live mode for a running demo: signs in as demo patients (patient<first>@demo.test …)
 * and keeps sending what a patient's app sends — weights, dose logs, side-effect scores
 * and chat messages, now and then a red-flag phrase — through the same REST login and
 * Socket.IO events a patient uses (`metrics:report`, `chat:send`). Watch the physician
 * dashboard and the support triage queue move. Ctrl-C stops it.
 *
 * It is a polite client, so the demo stays usable while it runs: at most `--window`
 * events wait for their ack at once; events start at `--rate` per second on average
 * (Poisson); an error or a timed-out ack halves the pace and pauses with exponential
 * backoff, and each ack earns the pace back a little (AIMD), up to `--rate`. Every
 * `--every` seconds one line says what happened: sent, acked, failed, ack latency.
 *
 * Patients with MFA enrolled are skipped (their second factor is on their phone; the demo
 * only knows the staff secret), and so are accounts that do not take the demo password.
 * Nothing it prints names a patient or quotes a message: counts and codes only.
 */

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface SimPatient {
  email: string;
  id: string;
  socket: ClientSocket;
  conversationId: string | null;
  weightKg: number;
  drug: "semaglutide" | "tirzepatide";
  doseMg: number;
  /** False while the session is being renewed (or for good, once it cannot be). */
  ready: boolean;
}

/** What signing a patient in needs. */
interface Options {
  base: string;
  password: string;
}

/** A default that a 2-core laptop running the demo on its embedded database keeps up with (see README). */
const DEFAULT_RATE = 1;
const DEFAULT_WINDOW = 2;

const LINES = ["Weighed in this morning, a bit lower again.", "Nausea was mild this week.", "Walked 8,000 steps today!", "Should I take the dose with food?", "Feeling more energetic lately."];
const RED_FLAGS = ["I have severe stomach pain that goes to my back", "My throat is swelling and I can't breathe well", "I have chest pain since an hour ago"];

const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const clientId = () => randomBytes(9).toString("base64url");

/** An error with a code fit to print and count (a server error code, TIMEOUT, HTTP_<status>…). */
class SimError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
const codeOf = (err: unknown) => (err instanceof SimError ? err.code : err instanceof Error && /timed out/i.test(err.message) ? "TIMEOUT" : "ERROR");

async function login(base: string, email: string, password: string): Promise<{ cookie: string; id: string }> {
  const res = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
    throw new SimError(body?.error?.code ?? `HTTP_${res.status}`);
  }
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const body = (await res.json()) as { user: { id: string } };
  return { cookie, id: body.user.id };
}

async function getJson<T>(base: string, cookie: string, url: string): Promise<T> {
  const res = await fetch(base + url, { headers: { cookie } });
  if (!res.ok) throw new SimError(`HTTP_${res.status}`);
  return (await res.json()) as T;
}

function connect(base: string, cookie: string): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(base, { transports: ["websocket"], extraHeaders: { cookie } });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(new SimError(err.message || "CONNECT_ERROR"));
    });
  });
}

async function emit<T>(socket: ClientSocket, event: keyof ClientToServerEvents, payload: unknown, timeoutMs: number): Promise<T> {
  const ack = (await (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<T>> }).emitWithAck(event, payload)) as Ack<T>;
  if (!ack.ok) throw new SimError(ack.error.code);
  return ack.data;
}

/** Retries what the server asks us to slow down for (429 on login), with backoff. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = codeOf(err);
      if (attempt >= 4 || !["RATE_LIMITED", "HTTP_429", "HTTP_503", "TIMEOUT"].includes(code)) throw err;
      await sleep(Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
}

/** Sign in and open the patient's socket; the patient's last weight and dose seed what it reports. */
async function start(opts: Options, email: string, counters: Stats["counters"]): Promise<SimPatient> {
  const { cookie, id } = await withRetry(() => login(opts.base, email, opts.password));
  const { conversations } = await getJson<{ conversations: ConversationSummary[] }>(opts.base, cookie, "/api/conversations");
  const from = new Date(Date.now() - 120 * 86_400_000).toISOString();
  const { readings } = await getJson<{ readings: Reading[] }>(opts.base, cookie, `/api/patients/${id}/metrics?from=${encodeURIComponent(from)}`);
  const lastWeight = readings.filter((r) => r.kind === "weight").at(-1);
  const lastDose = readings.filter((r) => r.kind === "dose").at(-1)?.value as { drug: "semaglutide" | "tirzepatide"; mg: number } | undefined;
  const socket = await connect(opts.base, cookie);
  socket.on("alert:instructions", () => counters.instructions++);
  return {
    email,
    id,
    socket,
    conversationId: conversations[0]?.id ?? null,
    weightKg: (lastWeight?.value as number | undefined) ?? 100,
    drug: lastDose?.drug ?? "semaglutide",
    doseMg: lastDose?.mg ?? 0.25,
    ready: true,
  };
}

type Kind = "weight" | "dose" | "gi" | "chat";

/** One thing a patient's app would send; says which kind it was. */
async function act(p: SimPatient, rng: () => number, timeoutMs: number): Promise<Kind> {
  const observedAt = new Date().toISOString();
  const x = rng();
  if (x < 0.55 || !p.conversationId) {
    // A small loss most days, with scale noise.
    p.weightKg = Math.round((p.weightKg - 0.05 + (rng() - 0.5) * 0.6) * 10) / 10;
    await emit(p.socket, "metrics:report", { readings: [{ kind: "weight", value: p.weightKg, unit: "kg", observedAt }] }, timeoutMs);
    return "weight";
  } else if (x < 0.65) {
    await emit(p.socket, "metrics:report", { readings: [{ kind: "dose", value: { drug: p.drug, mg: p.doseMg, site: "abdomen" }, observedAt }] }, timeoutMs);
    return "dose";
  } else if (x < 0.75) {
    const s = () => Math.floor(rng() * 4);
    await emit(p.socket, "metrics:report", { readings: [{ kind: "gi", value: { nausea: s(), vomiting: s() > 2 ? 1 : 0, diarrhea: s(), constipation: s(), abdominal_pain: s() }, observedAt }] }, timeoutMs);
    return "gi";
  } else {
    const body = rng() < 0.08 ? RED_FLAGS[Math.floor(rng() * RED_FLAGS.length)]! : LINES[Math.floor(rng() * LINES.length)]!;
    await emit(p.socket, "chat:send", { conversationId: p.conversationId, body, clientId: clientId() }, timeoutMs);
    return "chat";
  }
}

/**
 * The pace: Poisson arrivals at `rate`/s, raised by a twentieth of the target per prompt
 * ack. A failure halves it (at most once a second) and pauses with exponential backoff;
 * an ack slower than `slowMs` halves it too, without the pause, so the pace drops
 * before acks get anywhere near their timeout (and before people using the demo notice).
 */
class Pacer {
  rate: number;
  pausedUntil = 0;
  private streak = 0;
  private lastCut = 0;
  constructor(
    readonly target: number,
    private readonly slowMs: number,
  ) {
    this.rate = target;
  }
  ok(ms: number): void {
    this.streak = 0;
    if (ms > this.slowMs) this.cut();
    else this.rate = Math.min(this.target, this.rate + this.target / 20);
  }
  private cut(): void {
    const now = Date.now();
    if (now - this.lastCut < 1000) return;
    this.lastCut = now;
    this.rate = Math.max(this.target / 16, this.rate / 2);
  }
  fail(): void {
    const now = Date.now();
    this.streak++;
    this.cut();
    const backoff = Math.min(30_000, 500 * 2 ** Math.min(this.streak - 1, 6)) * (0.5 + Math.random() / 2);
    this.pausedUntil = Math.max(this.pausedUntil, now + backoff);
  }
  gapMs(rng: () => number): number {
    return (-Math.log(1 - rng()) / this.rate) * 1000;
  }
}

/** Counts since the start, and ack latencies since the last summary line. */
class Stats {
  sent = 0;
  acked = 0;
  failed = 0;
  inFlight = 0;
  readonly counters = { instructions: 0, renewed: 0 };
  private lat: number[] = [];
  private all: number[] = [];
  private byKind = new Map<Kind, number[]>();
  private codes = new Map<string, number>();
  private last = { sent: 0, acked: 0, failed: 0 };

  ack(ms: number, kind: Kind): void {
    this.acked++;
    this.lat.push(ms);
    if (this.all.length >= 200_000) return;
    this.all.push(ms);
    const k = this.byKind.get(kind) ?? [];
    k.push(ms);
    this.byKind.set(kind, k);
  }
  fail(code: string): void {
    this.failed++;
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }
  /** One line: totals (+ since the last line), ack p50/p95 since the last line, failures by code, the pace. */
  line(pacer: Pacer, ready: number): string {
    const d = (n: number, was: number) => `${n} (+${n - was})`;
    const codes = [...this.codes].map(([c, n]) => `${c} ${n}`).join(", ");
    const out =
      `sent ${d(this.sent, this.last.sent)} · acked ${d(this.acked, this.last.acked)} · failed ${d(this.failed, this.last.failed)}${codes ? ` [${codes}]` : ""}` +
      ` · in flight ${this.inFlight} · ack p50 ${pct(this.lat, 0.5)} p95 ${pct(this.lat, 0.95)} · pace ${pacer.rate.toFixed(1)}/${pacer.target}/s` +
      (pacer.pausedUntil > Date.now() ? " (backing off)" : "") +
      ` · ${ready} patient(s) online`;
    this.lat = [];
    this.codes.clear();
    this.last = { sent: this.sent, acked: this.acked, failed: this.failed };
    return out;
  }
  final(): string {
    const kinds = [...this.byKind].map(([k, v]) => `${k} ${pct(v, 0.5)} (${v.length})`).join(", ");
    return (
      `total: sent ${this.sent}, acked ${this.acked}, failed ${this.failed}; ack p50 ${pct(this.all, 0.5)}, p95 ${pct(this.all, 0.95)}, max ${pct(this.all, 1)}` +
      `; p50 by kind: ${kinds || "–"}; crisis instructions received ${this.counters.instructions}; sessions renewed ${this.counters.renewed}`
    );
  }
}

function pct(values: number[], q: number): string {
  if (values.length === 0) return "–";
  const sorted = [...values].sort((a, b) => a - b);
  return `${Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!)} ms`;
}

function numberFlag(flags: Record<string, string>, name: string, fallback: number, ok: (n: number) => boolean, what: string): number {
  const n = Number(flags[name] ?? fallback);
  if (!ok(n)) throw new Error(`--${name} must be ${what}`);
  return n;
}

/** Sign patients in two at a time (bcrypt is the server's cost); MFA and refused accounts are counted and skipped. */
async function signIn(opts: Options, emails: string[], stats: Stats): Promise<SimPatient[]> {
  const patients: SimPatient[] = [];
  const skipped = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const email = emails[next++]!;
      try {
        patients.push(await start(opts, email, stats.counters));
      } catch (err) {
        const code = codeOf(err);
        skipped.set(code, (skipped.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  const mfa = skipped.get("MFA_REQUIRED") ?? 0;
  const refused = skipped.get("INVALID_CREDENTIALS") ?? 0;
  if (mfa > 0) say(`Skipped ${mfa} patient account(s) with MFA enrolled: simulate cannot answer their second factor.`);
  if (refused > 0) say(`Skipped ${refused} patient account(s) that do not exist or do not take the demo password (DEMO_PASSWORD).`);
  const other = [...skipped].filter(([c]) => c !== "MFA_REQUIRED" && c !== "INVALID_CREDENTIALS");
  if (other.length > 0) say(`Could not start ${other.reduce((s, [, n]) => s + n, 0)} patient(s): ${other.map(([c, n]) => `${c} ${n}`).join(", ")}.`);
  return patients;
}

/** A patient whose session ended (idle timeout, logout elsewhere) signs in again, with backoff; one that cannot is left out. */
function watchSession(opts: Options, p: SimPatient, stats: Stats, replace: (next: SimPatient) => void, stopping: () => boolean): void {
  const renew = async () => {
    if (!p.ready || stopping()) return;
    p.ready = false;
    p.socket.close();
    for (let attempt = 0; attempt < 5 && !stopping(); attempt++) {
      await sleep(Math.min(30_000, 1000 * 2 ** attempt));
      try {
        const fresh = await start(opts, p.email, stats.counters);
        watchSession(opts, fresh, stats, replace, stopping);
        replace(fresh);
        stats.counters.renewed++;
        return;
      } catch (err) {
        if (codeOf(err) === "MFA_REQUIRED" || codeOf(err) === "INVALID_CREDENTIALS") break;
      }
    }
    say("A patient session ended and could not be renewed; that patient is left out.");
  };
  p.socket.on("session:expired", () => void renew());
  p.socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") void renew();
  });
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const base = (flags.url ?? `http://localhost:${process.env.PORT ?? "3000"}`).replace(/\/+$/, "");
  const count = numberFlag(flags, "patients", 10, (n) => Number.isInteger(n) && n >= 1 && n <= 500, "1..500");
  const first = numberFlag(flags, "first", 1, (n) => Number.isInteger(n) && n >= 1, "a patient number ≥ 1");
  const rate = numberFlag(flags, "rate", DEFAULT_RATE, (n) => n > 0 && n <= 200, "events per second, 0 < rate ≤ 200");
  const window = numberFlag(flags, "window", DEFAULT_WINDOW, (n) => Number.isInteger(n) && n >= 1 && n <= 256, "the most events awaiting an ack at once, 1..256");
  const timeoutMs = numberFlag(flags, "timeout", 10, (n) => n > 0 && n <= 120, "seconds to wait for an ack, up to 120") * 1000;
  const everyMs = numberFlag(flags, "every", 5, (n) => n >= 1, "seconds between summary lines, ≥ 1") * 1000;
  const durationMs = numberFlag(flags, "duration", 0, (n) => n >= 0, "seconds to run (0: until Ctrl-C)") * 1000;
  const opts: Options = { base, password: process.env.DEMO_PASSWORD ?? DEFAULT_DEMO_PASSWORD };
  const stats = new Stats();

  // Nothing listening is the usual first mistake (a demo on another PORT): say so plainly.
  try {
    await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
  } catch {
    throw new Error(`nothing answers at ${base}. Start the demo first (npm run demo), or point at it: PORT=<its port> npm run simulate, or --url http://host:port`);
  }
  say(`Signing in ${count} demo patient(s) at ${base}…`);
  const emails = Array.from({ length: count }, (_, k) => `patient${first + k}@demo.test`);
  const patients = await signIn(opts, emails, stats);
  if (patients.length === 0) throw new Error("no demo patient could sign in (is the demo running at that URL?)");
  say(`Simulating ${patients.length} patient(s): about ${rate} event(s)/s, at most ${window} awaiting an ack, ${timeoutMs / 1000} s ack timeout. Ctrl-C to stop.`);

  let stopping = false;
  const isStopping = () => stopping;
  patients.forEach((p, k) => watchSession(opts, p, stats, (fresh) => (patients[k] = fresh), isStopping));
  // An ack slower than a fifth of the timeout (2 s by default) says the server is queueing.
  const pacer = new Pacer(rate, timeoutMs / 5);
  let lastLine = Date.now();
  const line = () => {
    lastLine = Date.now();
    say(stats.line(pacer, patients.filter((p) => p.ready).length));
  };
  const summary = setInterval(line, everyMs);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(summary);
    if (Date.now() - lastLine > 1000) line();
    say(stats.final());
    patients.forEach((p) => p.socket.close());
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  if (durationMs > 0) setTimeout(stop, durationMs).unref();

  const rng = Math.random;
  // Wakes the loop when an ack frees a slot in the window.
  let slotFreed: (() => void) | null = null;
  while (!stopping) {
    await sleep(pacer.gapMs(rng));
    const pause = pacer.pausedUntil - Date.now();
    if (pause > 0) await sleep(pause);
    while (stats.inFlight >= window) await new Promise<void>((r) => (slotFreed = r));
    const ready = patients.filter((p) => p.ready && p.socket.connected);
    if (ready.length === 0) {
      await sleep(1000);
      continue;
    }
    const p = ready[Math.floor(rng() * ready.length)]!;
    stats.sent++;
    stats.inFlight++;
    const t0 = performance.now();
    act(p, rng, timeoutMs)
      .then(
        (kind) => {
          const ms = performance.now() - t0;
          stats.ack(ms, kind);
          pacer.ok(ms);
        },
        (err: unknown) => {
          stats.fail(codeOf(err));
          pacer.fail();
        },
      )
      .finally(() => {
        stats.inFlight--;
        const wake = slotFreed;
        slotFreed = null;
        wake?.();
      });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`simulate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
