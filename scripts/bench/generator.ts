/**
 * A load generator: a plain Node process (forked by run.ts, one per core) that holds
 * socket.io-client sockets and runs jobs sent over IPC. Sends are open-loop: each one has a
 * scheduled time on a fixed-rate timeline and its latency is measured from that time, so a
 * server (or generator) that falls behind shows up as latency, not as a lower send rate.
 * A send that would exceed `maxInFlight` is not sent and counts as undelivered.
 */
import bcrypt from "bcrypt";
import { io as ioClient, type Socket } from "socket.io-client";
import { type GenJob, type GenReply, nowMs, selfCpuSeconds, sleep } from "./lib.js";

interface Conn {
  socket: Socket;
  userId: string;
}

let conns: Conn[] = [];

interface SentChat {
  tSched: number;
  inWindow: boolean;
  acked: boolean;
  delivered: boolean;
}
/** clientId → pending chat message of the running chat job. */
const sentChat = new Map<string, SentChat>();
let chatStats: { peerLat: number[]; delivered: number; lateDeliveries: number } = { peerLat: [], delivered: 0, lateDeliveries: 0 };

/** Receipts of metrics:update / dashboard:update on listening clients: [kind, patientId, stamp, tRecv]. */
let receipts: Array<[string, string, string, number]> = [];

function onChatMessage(conn: Conn, payload: { message: { clientId: string; senderId: string } }) {
  const m = payload.message;
  if (m.senderId === conn.userId) return; // the sender's own echo (it is in its user room)
  const s = sentChat.get(m.clientId);
  if (!s || s.delivered) return;
  s.delivered = true;
  if (s.inWindow) {
    chatStats.peerLat.push(nowMs() - s.tSched);
    chatStats.delivered++;
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

function emitAck(socket: Socket, event: string, payload: unknown, timeoutMs = 30_000): Promise<any> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ ok: false, error: { code: "TIMEOUT" } }), timeoutMs);
    socket.emit(event, payload, (ack: unknown) => {
      clearTimeout(t);
      resolve(ack);
    });
  });
}

/** CPU of this process over [from, to] (absolute nowMs times), sampled by timers. */
function cpuOver(from: number, to: number): Promise<{ cpuS: number; wallS: number }> {
  return new Promise((resolve) => {
    setTimeout(() => {
      const c0 = selfCpuSeconds();
      const w0 = nowMs();
      setTimeout(() => resolve({ cpuS: selfCpuSeconds() - c0, wallS: (nowMs() - w0) / 1000 }), Math.max(0, to - nowMs()));
    }, Math.max(0, from - nowMs()));
  });
}

/**
 * Run `send(j, tSched)` for j = 0,1,2… at t0 + j/rate until t0 + warm + measure. Ticks every
 * millisecond and catches up on everything due, so a late tick shows as latency.
 */
async function openLoop(rate: number, t0: number, endAt: number, send: (j: number, tSched: number) => void): Promise<{ lateP99: number; sends: number }> {
  const period = 1000 / rate;
  let j = 0;
  const late: number[] = [];
  await sleep(Math.max(0, t0 - nowMs()));
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowMs();
      for (;;) {
        const tSched = t0 + j * period;
        if (tSched >= endAt) return resolve();
        if (tSched > now) break;
        if (j % 16 === 0) late.push(now - tSched);
        send(j, tSched);
        j++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  late.sort((a, b) => a - b);
  return { lateP99: late.length ? late[Math.floor(late.length * 0.99)]! : 0, sends: j };
}

async function runJob(job: GenJob): Promise<unknown> {
  switch (job.kind) {
    case "connect": {
      const started = nowMs();
      const errors = new Map<string, number>();
      const base = conns.length;
      const fresh: Conn[] = new Array(job.clients.length);
      await pool(job.clients, job.concurrency, async (spec, i) => {
        const headers: Record<string, string> = {};
        if (spec.cookie) headers.cookie = spec.cookie;
        if (job.origin) headers.origin = job.origin;
        const socket = ioClient(job.url, {
          transports: ["websocket"],
          extraHeaders: headers,
          auth: spec.auth ?? {},
          reconnection: false,
          forceNew: true,
          timeout: job.timeoutMs,
        });
        const conn: Conn = { socket, userId: spec.userId };
        socket.on("chat:message", (p: any) => onChatMessage(conn, p));
        fresh[i] = conn;
        await new Promise<void>((resolve) => {
          socket.once("connect", () => resolve());
          socket.once("connect_error", (e: Error) => {
            errors.set(e.message, (errors.get(e.message) ?? 0) + 1);
            resolve();
          });
        });
      });
      conns = conns.concat(fresh);
      const connected = fresh.filter((c) => c.socket.connected).length;
      return { base, connected, failed: job.clients.length - connected, errors: Object.fromEntries(errors), ms: nowMs() - started };
    }
    case "close": {
      for (const c of conns) c.socket.disconnect();
      conns = [];
      receipts = [];
      await sleep(200);
      return { closed: true };
    }
    case "subscribe": {
      const errors = new Map<string, number>();
      let ok = 0;
      await pool(job.payloads, job.concurrency, async ({ client, payload }) => {
        const ack = await emitAck(conns[client]!.socket, job.event, payload);
        if (ack?.ok) ok++;
        else errors.set(ack?.error?.code ?? "?", (errors.get(ack?.error?.code ?? "?") ?? 0) + 1);
      });
      return { ok, errors: Object.fromEntries(errors) };
    }
    case "listen": {
      for (const idx of job.clients) {
        const s = conns[idx]!.socket;
        if (job.events.includes("metrics:update")) {
          s.on("metrics:update", (p: { patientId: string; readings: Array<{ observedAt: string }> }) => {
            const t = nowMs();
            for (const r of p.readings) receipts.push(["metrics", p.patientId, r.observedAt, t]);
          });
        }
        if (job.events.includes("dashboard:update")) {
          s.on("dashboard:update", (p: { patients: Array<{ patientId: string; latestWeightAt: string | null }> }) => {
            const t = nowMs();
            for (const r of p.patients) receipts.push(["dashboard", r.patientId, r.latestWeightAt ?? "", t]);
          });
        }
      }
      return { listening: job.clients.length };
    }
    case "collect": {
      const out = receipts;
      receipts = [];
      return { receipts: out };
    }
    case "chat": {
      sentChat.clear();
      chatStats = { peerLat: [], delivered: 0, lateDeliveries: 0 };
      const warmEnd = job.t0 + job.warmMs;
      const end = warmEnd + job.measureMs;
      const cpu = cpuOver(warmEnd, end);
      const ackLat: number[] = [];
      const ackErrors = new Map<string, number>();
      let scheduled = 0;
      let dropped = 0;
      let acked = 0;
      let inFlight = 0;
      const n = job.senders.length;
      const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
      const loop = await openLoop(job.ratePerUser * n, job.t0, end, (j, tSched) => {
        const inWindow = tSched >= warmEnd;
        if (inWindow) scheduled++;
        if (inFlight >= job.maxInFlight) {
          if (inWindow) dropped++;
          return;
        }
        const sender = job.senders[j % n]!;
        const clientId = `b${tag}x${j}`;
        const rec: SentChat = { tSched, inWindow, acked: false, delivered: false };
        sentChat.set(clientId, rec);
        inFlight++;
        conns[sender.client]!.socket.emit("chat:send", { conversationId: sender.conversationId, body: job.body, clientId }, (ack: any) => {
          inFlight--;
          rec.acked = true;
          if (!inWindow) return;
          if (ack?.ok) {
            acked++;
            ackLat.push(nowMs() - tSched);
          } else {
            const code = ack?.error?.code ?? "?";
            ackErrors.set(code, (ackErrors.get(code) ?? 0) + 1);
          }
        });
      });
      const cpuWin = await cpu;
      // Drain: wait for what was sent in the window to be acked and delivered.
      const drainUntil = nowMs() + job.drainMs;
      while (nowMs() < drainUntil) {
        let open = 0;
        for (const s of sentChat.values()) if (s.inWindow && (!s.acked || !s.delivered)) open++;
        if (open === 0) break;
        await sleep(50);
      }
      const result = {
        scheduled,
        dropped,
        acked,
        delivered: chatStats.delivered,
        ackErrors: Object.fromEntries(ackErrors),
        ackLat,
        peerLat: chatStats.peerLat,
        sendLateP99: loop.lateP99,
        cpuS: cpuWin.cpuS,
        wallS: cpuWin.wallS,
        stillInFlight: inFlight,
      };
      sentChat.clear();
      return result;
    }
    case "report": {
      const warmEnd = job.t0 + job.warmMs;
      const end = warmEnd + job.measureMs;
      const cpu = cpuOver(warmEnd, end);
      /** [patientId, observedAt, tSched, ackLatency or -1] for sends in the window. */
      const sends: Array<[string, string, number, number]> = [];
      const ackErrors = new Map<string, number>();
      let scheduled = 0;
      let dropped = 0;
      let inFlight = 0;
      let lastStamp = 0;
      const n = job.reporters.length;
      const loop = await openLoop(job.ratePerClient * n, job.t0, end, (j, tSched) => {
        const inWindow = tSched >= warmEnd;
        if (inWindow) scheduled++;
        if (inFlight >= job.maxInFlight) {
          if (inWindow) dropped++;
          return;
        }
        const r = job.reporters[j % n]!;
        // observedAt tags the reading: it comes back in metrics:update and as the
        // dashboard row's latestWeightAt. Unique per patient (ms, strictly increasing here).
        lastStamp = Math.max(Date.now(), lastStamp + 1);
        const observedAt = new Date(lastStamp).toISOString();
        const entry: [string, string, number, number] = [r.patientId, observedAt, tSched, -1];
        if (inWindow) sends.push(entry);
        inFlight++;
        conns[r.client]!.socket.emit("metrics:report", { readings: [{ kind: "weight", value: 92.5, unit: "kg", observedAt }] }, (ack: any) => {
          inFlight--;
          if (!inWindow) return;
          if (ack?.ok) entry[3] = nowMs() - tSched;
          else {
            const code = ack?.error?.code ?? "?";
            ackErrors.set(code, (ackErrors.get(code) ?? 0) + 1);
          }
        });
      });
      const cpuWin = await cpu;
      const drainUntil = nowMs() + job.drainMs;
      while (inFlight > 0 && nowMs() < drainUntil) await sleep(50);
      return { scheduled, dropped, sends, ackErrors: Object.fromEntries(ackErrors), sendLateP99: loop.lateP99, cpuS: cpuWin.cpuS, wallS: cpuWin.wallS };
    }
    case "login": {
      const warmEnd = job.t0 + job.warmMs;
      const end = warmEnd + job.measureMs;
      const cpu = cpuOver(warmEnd, end);
      const lat: number[] = [];
      const statuses = new Map<number, number>();
      let k = 0;
      await sleep(Math.max(0, job.t0 - nowMs()));
      await Promise.all(
        Array.from({ length: job.concurrency }, async () => {
          while (nowMs() < end) {
            const acct = job.accounts[k++ % job.accounts.length]!;
            const t = nowMs();
            let status: number;
            try {
              const res = await fetch(`${job.url}/api/auth/login`, {
                method: "POST",
                headers: { "content-type": "application/json", origin: job.origin },
                body: JSON.stringify(acct),
              });
              status = res.status;
              await res.arrayBuffer();
            } catch {
              status = -1;
            }
            const done = nowMs();
            if (done >= warmEnd && done < end) {
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              if (status === 200) lat.push(done - t);
            }
          }
        }),
      );
      const cpuWin = await cpu;
      return { ok: statuses.get(200) ?? 0, statuses: Object.fromEntries(statuses), lat, cpuS: cpuWin.cpuS, wallS: cpuWin.wallS };
    }
    case "bcrypt": {
      const hash = await bcrypt.hash("bench-password-123", job.cost);
      const warmEnd = job.t0 + job.warmMs;
      const end = warmEnd + job.measureMs;
      let done = 0;
      await sleep(Math.max(0, job.t0 - nowMs()));
      await Promise.all(
        Array.from({ length: job.concurrency }, async () => {
          while (nowMs() < end) {
            await bcrypt.compare("bench-password-123", hash);
            const t = nowMs();
            if (t >= warmEnd && t < end) done++;
          }
        }),
      );
      return { compares: done, perSec: done / (job.measureMs / 1000) };
    }
  }
}

process.on("message", (msg: { id: number; job: GenJob }) => {
  runJob(msg.job).then(
    (data) => process.send!({ id: msg.id, ok: true, data } satisfies GenReply),
    (err: unknown) => process.send!({ id: msg.id, ok: false, error: String((err as Error)?.stack ?? err) } satisfies GenReply),
  );
});
process.on("disconnect", () => process.exit(0));
process.send!({ id: 0, ok: true, data: { ready: true } } satisfies GenReply);
