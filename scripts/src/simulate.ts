import { randomBytes } from "node:crypto";
import type { Ack, ChatMessage, ClientToServerEvents, ConversationSummary, Reading, ServerToClientEvents } from "@glp1/shared";
import { io as ioClient, type Socket } from "socket.io-client";
import { parseFlags } from "./cli-env.js";
import { DEFAULT_DEMO_PASSWORD } from "./demo-clinic.js";

/**
 * `npm run simulate -- [--url http://localhost:3000] [--patients 10] [--rate 2] [--first 1]`
 *
 * Live mode for a running demo: signs in as demo patients (patient<first>@demo.test …)
 * and keeps sending what a patient's app sends — weights, dose logs, side-effect scores
 * and chat messages, now and then a red-flag phrase — through the same REST login and
 * Socket.IO events a patient uses (`metrics:report`, `chat:send`). Watch the physician
 * dashboard and the support triage queue move. Ctrl-C stops it.
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
}

const LINES = ["Weighed in this morning, a bit lower again.", "Nausea was mild this week.", "Walked 8,000 steps today!", "Should I take the dose with food?", "Feeling more energetic lately."];
const RED_FLAGS = ["I have severe stomach pain that goes to my back", "My throat is swelling and I can't breathe well", "I have chest pain since an hour ago"];

const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const clientId = () => randomBytes(9).toString("base64url");

async function login(base: string, email: string, password: string): Promise<{ cookie: string; id: string }> {
  const res = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`login as ${email} failed (${res.status})`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const body = (await res.json()) as { user: { id: string } };
  return { cookie, id: body.user.id };
}

async function getJson<T>(base: string, cookie: string, url: string): Promise<T> {
  const res = await fetch(base + url, { headers: { cookie } });
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
  return (await res.json()) as T;
}

function connect(base: string, cookie: string): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(base, { transports: ["websocket"], extraHeaders: { cookie } });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => reject(err));
  });
}

async function emit<T>(socket: ClientSocket, event: keyof ClientToServerEvents, payload: unknown): Promise<T> {
  const ack = (await (socket.timeout(10_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<T>> }).emitWithAck(event, payload)) as Ack<T>;
  if (!ack.ok) throw new Error(`${event}: ${ack.error.code}`);
  return ack.data;
}

async function start(base: string, email: string, password: string): Promise<SimPatient> {
  const { cookie, id } = await login(base, email, password);
  const { conversations } = await getJson<{ conversations: ConversationSummary[] }>(base, cookie, "/api/conversations");
  const from = new Date(Date.now() - 120 * 86_400_000).toISOString();
  const { readings } = await getJson<{ readings: Reading[] }>(base, cookie, `/api/patients/${id}/metrics?from=${encodeURIComponent(from)}`);
  const lastWeight = readings.filter((r) => r.kind === "weight").at(-1);
  const lastDose = readings.filter((r) => r.kind === "dose").at(-1)?.value as { drug: "semaglutide" | "tirzepatide"; mg: number } | undefined;
  const socket = await connect(base, cookie);
  socket.on("alert:instructions", (p) => say(`  ${email} was told: ${p.instructions.map((i) => i.instructions).join(" ")}`));
  return {
    email,
    id,
    socket,
    conversationId: conversations[0]?.id ?? null,
    weightKg: (lastWeight?.value as number | undefined) ?? 100,
    drug: lastDose?.drug ?? "semaglutide",
    doseMg: lastDose?.mg ?? 0.25,
  };
}

async function act(p: SimPatient, rng: () => number): Promise<void> {
  const observedAt = new Date().toISOString();
  const x = rng();
  if (x < 0.55) {
    // A small loss most days, with scale noise.
    p.weightKg = Math.round((p.weightKg - 0.05 + (rng() - 0.5) * 0.6) * 10) / 10;
    await emit(p.socket, "metrics:report", { readings: [{ kind: "weight", value: p.weightKg, unit: "kg", observedAt }] });
    say(`${p.email} weight ${p.weightKg} kg`);
  } else if (x < 0.65) {
    await emit(p.socket, "metrics:report", { readings: [{ kind: "dose", value: { drug: p.drug, mg: p.doseMg, site: "abdomen" }, observedAt }] });
    say(`${p.email} dose ${p.drug} ${p.doseMg} mg`);
  } else if (x < 0.75) {
    const s = () => Math.floor(rng() * 4);
    await emit(p.socket, "metrics:report", { readings: [{ kind: "gi", value: { nausea: s(), vomiting: s() > 2 ? 1 : 0, diarrhea: s(), constipation: s(), abdominal_pain: s() }, observedAt }] });
    say(`${p.email} side-effect scores`);
  } else if (p.conversationId) {
    const body = rng() < 0.08 ? RED_FLAGS[Math.floor(rng() * RED_FLAGS.length)]! : LINES[Math.floor(rng() * LINES.length)]!;
    await emit<{ message: ChatMessage }>(p.socket, "chat:send", { conversationId: p.conversationId, body, clientId: clientId() });
    say(`${p.email} chat: ${body}`);
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const base = (flags.url ?? `http://localhost:${process.env.PORT ?? "3000"}`).replace(/\/+$/, "");
  const count = Number(flags.patients ?? 10);
  const rate = Number(flags.rate ?? 2);
  const first = Number(flags.first ?? 1);
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new Error("--patients must be 1..500");
  if (!(rate > 0 && rate <= 50)) throw new Error("--rate must be events per second, 0 < rate ≤ 50");
  const password = process.env.DEMO_PASSWORD ?? DEFAULT_DEMO_PASSWORD;
  say(`Signing in ${count} demo patients at ${base}…`);
  const patients: SimPatient[] = [];
  for (let i = first; i < first + count; i++) patients.push(await start(base, `patient${i}@demo.test`, password));
  say(`Simulating ${rate} event(s)/s. Ctrl-C to stop.`);
  const rng = Math.random;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    patients.forEach((p) => p.socket.close());
    say("stopped");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  for (;;) {
    const p = patients[Math.floor(rng() * patients.length)]!;
    act(p, rng).catch((err: unknown) => say(`${p.email}: ${err instanceof Error ? err.message : String(err)}`));
    // Poisson arrivals at `rate` per second.
    await new Promise((r) => setTimeout(r, (-Math.log(1 - rng()) / rate) * 1000));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`simulate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
