/**
 * Small helpers shared by the bench orchestrator and its child processes: a clock that is
 * comparable across processes, percentiles, /proc readers, and the IPC message shapes.
 */
import fs from "node:fs";

/**
 * Milliseconds on CLOCK_MONOTONIC. `process.hrtime` reads the system-wide monotonic clock,
 * so values taken in different processes on this machine can be subtracted (a generator's
 * scheduled time vs another generator's receipt time).
 */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** p-th percentile (0..100) of an unsorted array; NaN when empty. Sorts a copy. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}

export function summarize(values: number[]): { n: number; p50: number; p90: number; p99: number; max: number } {
  if (values.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: s[s.length - 1]! };
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64

/** utime + stime of a process, in CPU seconds (0 when it is gone). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields after "(comm)": state(3) ... utime is field 14, stime 15 (1-based) → index 11, 12 here
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes. */
export function procRssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Children (recursively) of a pid, from /proc/<pid>/task/<pid>/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let kids: number[] = [];
    try {
      kids = fs.readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      /* gone */
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

/** Linear regression slope of y over x (least squares). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

// ------------------------------------------------------------------ generator protocol

/** One client socket a generator opens. */
export interface ClientSpec {
  /** Cookie header (product) or nothing (bare relay). */
  cookie?: string;
  /** Handshake auth (bare relay: the room to join and a user id). */
  auth?: Record<string, string>;
  userId: string;
}

export interface ChatSender {
  /** Index into the generator's connected clients. */
  client: number;
  conversationId: string;
}

export type GenJob =
  | { kind: "connect"; url: string; origin?: string; clients: ClientSpec[]; concurrency: number; timeoutMs: number }
  | { kind: "close" }
  | {
      kind: "chat";
      senders: ChatSender[];
      ratePerUser: number;
      body: string;
      t0: number;
      warmMs: number;
      measureMs: number;
      drainMs: number;
      maxInFlight: number;
    }
  | { kind: "subscribe"; event: string; payloads: Array<{ client: number; payload: unknown }>; concurrency: number }
  | {
      kind: "report";
      /** Clients that report readings, each at `ratePerClient` per second. */
      reporters: Array<{ client: number; patientId: string }>;
      ratePerClient: number;
      t0: number;
      warmMs: number;
      measureMs: number;
      drainMs: number;
      maxInFlight: number;
    }
  | { kind: "listen"; clients: number[]; events: string[] }
  | { kind: "collect" }
  | {
      kind: "login";
      url: string;
      origin: string;
      accounts: Array<{ email: string; password: string }>;
      concurrency: number;
      t0: number;
      warmMs: number;
      measureMs: number;
    }
  | { kind: "bcrypt"; cost: number; concurrency: number; t0: number; warmMs: number; measureMs: number };

export interface GenReply {
  id: number;
  ok: boolean;
  error?: string;
  data?: any;
}

/** Process CPU of the caller in seconds (user + system). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat: everything but idle and iowait. */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - v[3]! - v[4]!) / CLK_TCK;
  } catch {
    return 0;
  }
}
