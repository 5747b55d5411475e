/**
 * Embedded dev/test services: a MongoDB-compatible database and Redis.
 *
 * Database: `opts.mongoUri` (external), else `mongod` from PATH, else FerretDB v1.24.2
 * (SQLite backend) built once into `<repo>/.tools/bin/ferretdb`.
 * Redis: `opts.redisUrl` (external), else `redis-server` from PATH.
 *
 * Children die with their parent: `stop()`, process exit (incl. uncaught exceptions),
 * SIGINT/SIGTERM, and — through a detached `sh` watchdog per child — even when the parent
 * is SIGKILLed. Children left over from an earlier run (pid file in dataDir) are killed
 * before a new start. See docs/ferretdb.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { Redis } from "ioredis";

export interface Services {
  mongoUri: string;
  redisUrl: string;
  mongoKind: "external" | "mongod" | "ferretdb";
  redisKind: "external" | "redis-server";
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  mongoUri?: string;
  redisUrl?: string;
  log?: (line: string) => void;
  /** Keep Redis data (sessions) across restarts in dataDir: the demo wants it, tests do not. */
  persistRedis?: boolean;
}

type Log = (line: string) => void;

export const FERRETDB_VERSION = "v1.24.2";
/** Marks our patched build (see patchSerializedWrites, patchIndexPushdown); a binary without it is rebuilt. */
const FERRETDB_PACKAGE = "glp1-serialized-writes-1+index-pushdown-2";
/** Database name put in the URIs of embedded databases. */
export const DEFAULT_DB_NAME = "glp1";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const TOOLS_DIR = path.join(REPO_ROOT, ".tools");
const FERRETDB_BIN = path.join(TOOLS_DIR, "bin", "ferretdb");
const PID_FILE = "services.pids.json";
const SERVICES_FILE = "services.json";
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 4_000;

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isAlive(pid: number | undefined): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // a zombie still answers kill(0); treat it as dead
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

function which(name: string, extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("could not pick a free port"))));
    });
  });
}

function tail(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, "utf8").trimEnd();
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function killSafe(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

async function killAndWait(pid: number, graceMs = STOP_GRACE_MS): Promise<void> {
  if (!isAlive(pid)) return;
  killSafe(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  killSafe(pid, "SIGKILL");
  const hard = Date.now() + 2_000;
  while (Date.now() < hard && isAlive(pid)) await sleep(50);
}

// ---------------------------------------------------------------- pid file (stale children)

interface PidEntry {
  pid: number;
  name: string; // executable base name, checked against /proc/<pid>/cmdline before killing
  ownerPid: number;
}

function readPidFile(dataDir: string): PidEntry[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dataDir, PID_FILE), "utf8")) as unknown;
    return Array.isArray(parsed) ? (parsed as PidEntry[]).filter((e) => e && typeof e.pid === "number") : [];
  } catch {
    return [];
  }
}

function writePidFile(dataDir: string, entries: PidEntry[]): void {
  const file = path.join(dataDir, PID_FILE);
  if (entries.length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entries), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function addPid(dataDir: string, e: PidEntry): void {
  writePidFile(dataDir, [...readPidFile(dataDir).filter((x) => x.pid !== e.pid), e]);
}

function removePid(dataDir: string, pid: number): void {
  writePidFile(dataDir, readPidFile(dataDir).filter((x) => x.pid !== pid));
}

/** Kill children recorded by an earlier run whose owner is gone. Throws when the owner is alive. */
async function killStaleChildren(dataDir: string, log: Log): Promise<void> {
  const entries = readPidFile(dataDir);
  for (const e of entries) {
    if (e.ownerPid !== process.pid && isAlive(e.ownerPid) && isAlive(e.pid) && cmdlineOf(e.pid).includes(e.name)) {
      throw new Error(
        `${dataDir} is in use by another running process (pid ${e.ownerPid}, which started ${e.name} pid ${e.pid}). ` +
          `Stop it or use another DATA_DIR.`,
      );
    }
  }
  for (const e of entries) {
    if (e.ownerPid === process.pid) continue;
    if (isAlive(e.pid) && cmdlineOf(e.pid).includes(e.name)) {
      log(`killing stale ${e.name} (pid ${e.pid}) left by an earlier run`);
      await killAndWait(e.pid, 2_000);
    }
  }
  writePidFile(dataDir, entries.filter((e) => e.ownerPid === process.pid && isAlive(e.pid)));
}

// ---------------------------------------------------------------- child supervision

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  dataDir: string;
  exited: boolean;
}

const liveChildren = new Set<Child>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also fires after an uncaught exception; only sync work is possible here.
  process.on("exit", () => {
    for (const c of liveChildren) killSafe(c.pid, "SIGTERM");
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      // If the app installed its own handler it owns shutdown (and calls stop(), or exits and
      // our 'exit' hook runs). Alone, we restore the default: stop children, die by the signal.
      if (process.listenerCount(sig) > 1) return;
      for (const c of liveChildren) killSafe(c.pid, "SIGTERM");
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/**
 * A detached `sh` that polls the parent; when the parent is gone (even SIGKILLed) it
 * SIGTERMs the child, then SIGKILLs it. It ends by itself once the child is gone.
 */
function spawnWatchdog(childPid: number): void {
  // alive(): a zombie (state Z/X in /proc/<pid>/stat) counts as dead; without /proc, kill -0.
  const script =
    'alive() { if { read -r l < /proc/$1/stat; } 2>/dev/null; then s=${l##*) }; ' +
    'case "$s" in Z*|X*) return 1;; esac; return 0; fi; kill -0 "$1" 2>/dev/null; }; ' +
    'P=$1; C=$2; while alive "$P" && alive "$C"; do sleep 0.5; done; ' +
    'alive "$C" || exit 0; kill -TERM "$C" 2>/dev/null; i=0; ' +
    'while alive "$C" && [ $i -lt 20 ]; do sleep 0.25; i=$((i+1)); done; ' +
    'kill -KILL "$C" 2>/dev/null; exit 0';
  const w = spawn("sh", ["-c", script, "services-watchdog", String(process.pid), String(childPid)], {
    detached: true,
    stdio: "ignore",
  });
  w.on("error", () => undefined);
  w.unref();
}

function startChild(name: string, bin: string, args: string[], dataDir: string): Child {
  const logDir = path.join(dataDir, "logs");
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  // The child writes to a file, never to a pipe of ours: it must not depend on us being alive.
  const fd = fs.openSync(logFile, "w", 0o600);
  const proc = spawn(bin, args, { stdio: ["ignore", fd, fd], cwd: dataDir });
  fs.closeSync(fd);
  if (!proc.pid) throw new Error(`could not start ${bin}`);
  const child: Child = { name, proc, pid: proc.pid, logFile, dataDir, exited: false };
  proc.on("exit", () => {
    child.exited = true;
    liveChildren.delete(child);
  });
  proc.on("error", () => {
    child.exited = true;
  });
  proc.unref(); // never keep the event loop alive just for a child
  liveChildren.add(child);
  installExitHooks();
  addPid(dataDir, { pid: child.pid, name: path.basename(bin), ownerPid: process.pid });
  spawnWatchdog(child.pid);
  return child;
}

async function stopChild(c: Child): Promise<void> {
  if (!c.exited && isAlive(c.pid)) await killAndWait(c.pid);
  liveChildren.delete(c);
  removePid(c.dataDir, c.pid);
}

/** Poll `probe` until it resolves true, the child dies, or the timeout passes. */
async function waitReady(c: Child, what: string, probe: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (c.exited || !isAlive(c.pid)) {
      throw new Error(`${what} exited during start-up (log ${c.logFile}):\n${tail(c.logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(150);
  }
  await stopChild(c);
  throw new Error(`${what} did not answer within ${timeoutMs / 1000}s (log ${c.logFile}):\n${tail(c.logFile)}`);
}

async function mongoPing(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000, directConnection: true });
  try {
    await client.connect();
    const r = await client.db("admin").command({ ping: 1 });
    return r.ok === 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function redisPing(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000, enableOfflineQueue: false });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } finally {
    r.disconnect();
  }
}

/** Start a child on a fresh free port; retry a couple of times if the port was taken meanwhile. */
async function startOnFreePort(
  what: string,
  launch: (port: number) => Child,
  probe: (port: number) => Promise<boolean>,
): Promise<{ child: Child; port: number }> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = launch(port);
    try {
      await waitReady(child, what, () => probe(port));
      return { child, port };
    } catch (e) {
      lastErr = e;
      await stopChild(child);
      if (!/address already in use|EADDRINUSE|bind/i.test(String(e))) throw e;
    }
  }
  throw lastErr;
}

// ---------------------------------------------------------------- FerretDB build

function goBinary(): string | null {
  return which("go", ["/usr/local/go/bin", path.join(process.env.HOME ?? "/root", "go", "bin")]);
}

function ferretDbUsable(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const out = `${r.stdout}${r.stderr}`;
  return r.status === 0 && out.includes(`version: ${FERRETDB_VERSION}`) && out.includes(`package: ${FERRETDB_PACKAGE}`);
}

/**
 * Stock FerretDB v1.24's SQLite backend uses an index only for a filter that is exactly
 * `{_id: <value>}`: every other query, including `{_id, version}` compare-and-set updates,
 * is a full collection scan (about 35 µs per document). Our build pushes down equality
 * and `$in` on `_id` and on the first field of any index, so SQLite uses the indexes the
 * app declares. The handler re-checks every document against the full filter, so the
 * pushed-down clause only has to return a superset. The one case where it would not: an
 * indexed field holding arrays; such an index must have "multikey" in its name (see
 * docs/ferretdb.md; `ferretdb-compat.test.ts` checks both).
 */
export function patchIndexPushdown(src: string): void {
  const collection = path.join(src, "internal", "backends", "sqlite", "collection.go");
  const block = [
    "\tif params.Filter.Len() == 1 {",
    "\t\tv, _ := params.Filter.Get(\"_id\")",
    "\t\tswitch v.(type) {",
    "\t\tcase string, types.ObjectID:",
    "\t\t\twhereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)",
    "\t\t\targs = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}",
    "\t\t}",
    "\t}",
    "",
  ].join("\n");
  const text = fs.readFileSync(collection, "utf8");
  if (text.split(block).length !== 2) throw new Error(`cannot patch ${collection}: the Query filter block was not found once (FerretDB source changed?)`);
  fs.writeFileSync(collection, text.replace(block, "\twhereClause, args = glp1PushdownWhere(meta, params.Filter)\n"));
  // Stock `_id` lookups and the UPDATE/DELETE by `_id` use `->'$._id'`, which SQLite does not
  // match to the `_id` index (created as `->"_id"`): written the index's way, they use it.
  const metadataGo = path.join(src, "internal", "backends", "sqlite", "metadata", "metadata.go");
  const idColumn = `\tIDColumn = DefaultColumn + "->'$._id'"`;
  const meta = fs.readFileSync(metadataGo, "utf8");
  if (!meta.includes(idColumn)) throw new Error(`cannot patch ${metadataGo}: IDColumn not found (FerretDB source changed?)`);
  fs.writeFileSync(metadataGo, meta.replace(idColumn, `\tIDColumn = DefaultColumn + \`->"_id"\``));
  fs.writeFileSync(path.join(src, "internal", "backends", "sqlite", "pushdown_glp1.go"), `package sqlite

import (
\t"fmt"
\t"strings"

\t"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
\t"github.com/FerretDB/FerretDB/internal/handler/sjson"
\t"github.com/FerretDB/FerretDB/internal/types"
\t"github.com/FerretDB/FerretDB/internal/util/must"
)

// glp1PushdownWhere builds a WHERE clause that lets SQLite use an index for the equality
// parts of a filter (added by scripts/src/services.ts; see docs/ferretdb.md).
//
// Stock v1.24 pushes down only a filter that is exactly {_id: <string or ObjectId>};
// everything else is a full scan. This pushes down, ANDed:
//   - _id equal to, or $in a list of, strings/ObjectIds, whatever other keys the filter has;
//   - a top-level field equal to, or $in a list of, strings/ObjectIds, when some index
//     holds that field (the expression matches the index's, so SQLite can use it: the
//     first field picks the index, the others narrow it or filter in SQLite, not in Go).
//
// The handler filters every returned document again with the full filter, so the clause
// only needs to return a superset. It does, except for a field that holds an array (MongoDB
// matches an element; the index holds the whole array): an index on such a field must have
// "multikey" in its name, and then no index on that field is used here.
func glp1PushdownWhere(meta *metadata.Collection, filter *types.Document) (string, []any) {
\tif filter == nil || filter.Len() == 0 {
\t\treturn "", nil
\t}

\tindexed := map[string]bool{}
\tarrays := map[string]bool{}
\tfor _, idx := range meta.Settings.Indexes {
\t\tfor _, key := range idx.Key {
\t\t\tindexed[key.Field] = true
\t\t\tif strings.Contains(idx.Name, "multikey") {
\t\t\t\tarrays[key.Field] = true
\t\t\t}
\t\t}
\t}

\tvar conds []string
\tvar args []any

\tfor _, k := range filter.Keys() {
\t\tif k == "" || strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
\t\t\tcontinue
\t\t}

\t\tvar column string
\t\tswitch {
\t\tcase k == "_id":
\t\t\tcolumn = metadata.IDColumn
\t\tcase indexed[k] && !arrays[k]:
\t\t\tcolumn = fmt.Sprintf("%s->%q", metadata.DefaultColumn, k)
\t\tdefault:
\t\t\tcontinue
\t\t}

\t\tvals, ok := glp1EqualityValues(must.NotFail(filter.Get(k)))
\t\tif !ok || len(vals) == 0 {
\t\t\tcontinue
\t\t}

\t\tif len(vals) == 1 {
\t\t\tconds = append(conds, column+" = ?")
\t\t} else {
\t\t\tconds = append(conds, column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")+")")
\t\t}
\t\targs = append(args, vals...)
\t}

\tif len(conds) == 0 {
\t\treturn "", nil
\t}

\treturn " WHERE " + strings.Join(conds, " AND "), args
}

// glp1EqualityValues returns the values v must equal one of, when v is a string or
// ObjectId, {$eq: that}, or {$in: [those]} (nothing else), as stored in the table.
func glp1EqualityValues(v any) ([]any, bool) {
\tscalar := func(x any) (any, bool) {
\t\tswitch x.(type) {
\t\tcase string, types.ObjectID:
\t\t\treturn string(must.NotFail(sjson.MarshalSingleValue(x))), true
\t\t}
\t\treturn nil, false
\t}

\tif s, ok := scalar(v); ok {
\t\treturn []any{s}, true
\t}

\tdoc, ok := v.(*types.Document)
\tif !ok || doc.Len() != 1 {
\t\treturn nil, false
\t}

\tif eq, err := doc.Get("$eq"); err == nil {
\t\ts, ok := scalar(eq)
\t\tif !ok {
\t\t\treturn nil, false
\t\t}
\t\treturn []any{s}, true
\t}

\tin, err := doc.Get("$in")
\tif err != nil {
\t\treturn nil, false
\t}

\tarr, ok := in.(*types.Array)
\tif !ok || arr.Len() == 0 || arr.Len() > 500 {
\t\treturn nil, false
\t}

\tout := make([]any, 0, arr.Len())
\tfor i := 0; i < arr.Len(); i++ {
\t\ts, ok := scalar(must.NotFail(arr.Get(i)))
\t\tif !ok {
\t\t\treturn nil, false
\t\t}
\t\tout = append(out, s)
\t}

\treturn out, true
}
`);
}

/**
 * FerretDB v1 runs `update`/`findAndModify` as "query, then write" with no lock or
 * transaction around them, so concurrent updates of one document lose writes (50 parallel
 * `$inc` → 5) and conditional updates (`{_id, v: 0}` → `$set v: 1`) succeed several times.
 * The app relies on atomic single-document updates, so our build serializes the write
 * commands inside the (single) FerretDB process. Reads stay concurrent.
 */
export function patchSerializedWrites(src: string): void {
  const commands = path.join(src, "internal", "handler", "commands.go");
  const anchor = "\tfor name, cmd := range h.commands {\n";
  const text = fs.readFileSync(commands, "utf8");
  if (!text.includes(anchor)) throw new Error(`cannot patch ${commands}: anchor not found (FerretDB source changed?)`);
  fs.writeFileSync(commands, text.replace(anchor, `\th.serializeWrites()\n\n${anchor}`));
  fs.writeFileSync(
    path.join(src, "internal", "handler", "serialize_writes.go"),
    `package handler

import (
\t"context"
\t"sync"

\t"github.com/FerretDB/wire"
)

// writeMu makes every write command run alone, so that the read-modify-write of an
// update is atomic (added by scripts/src/services.ts; see docs/ferretdb.md).
var writeMu sync.Mutex

func (h *Handler) serializeWrites() {
\tfor _, name := range []string{"insert", "update", "delete", "findAndModify", "findandmodify"} {
\t\tcmd, ok := h.commands[name]
\t\tif !ok {
\t\t\tcontinue
\t\t}
\t\tnext := cmd.Handler
\t\tcmd.Handler = func(ctx context.Context, msg *wire.OpMsg) (*wire.OpMsg, error) {
\t\t\twriteMu.Lock()
\t\t\tdefer writeMu.Unlock()
\t\t\treturn next(ctx, msg)
\t\t}
\t}
}
`,
  );
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }, log?: Log, label?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const started = Date.now();
    const timer = log && label ? setInterval(() => log(`  ${label}: still running (${Math.round((Date.now() - started) / 1000)}s)…`), 30_000) : null;
    p.on("error", (e) => {
      if (timer) clearInterval(timer);
      reject(e);
    });
    p.on("close", (code) => {
      if (timer) clearInterval(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${err.trim().split("\n").slice(-20).join("\n")}`));
    });
  });
}

async function acquireLock(lockFile: string, bin: string, log: Log): Promise<boolean> {
  const deadline = Date.now() + 15 * 60_000;
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, "wx", 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = Number(fs.readFileSync(lockFile, "utf8").trim() || "0");
    if (holder && !isAlive(holder)) {
      fs.rmSync(lockFile, { force: true }); // builder died; take over
      continue;
    }
    if (ferretDbUsable(bin)) return false; // someone else finished it
    if (!announced) {
      log(`waiting for another FerretDB build (pid ${holder}) to finish…`);
      announced = true;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the FerretDB build lock ${lockFile} (held by pid ${holder})`);
    await sleep(1_000);
  }
}

/** Path of a working FerretDB v1.24.2 binary, building it once into `<repo>/.tools/bin`. */
export async function ensureFerretDb(log: Log = (l) => console.log(l)): Promise<string> {
  if (ferretDbUsable(FERRETDB_BIN)) return FERRETDB_BIN;
  const go = goBinary();
  if (!go) {
    throw new Error(
      "No MongoDB available: there is no mongod on PATH and building the embedded FerretDB needs Go (https://go.dev/dl/), " +
        "which is not installed. Install Go (>= 1.22), or set MONGODB_URI to a running MongoDB.",
    );
  }
  fs.mkdirSync(path.dirname(FERRETDB_BIN), { recursive: true });
  const lockFile = path.join(TOOLS_DIR, "ferretdb-build.lock");
  if (!(await acquireLock(lockFile, FERRETDB_BIN, log))) return FERRETDB_BIN;
  const work = fs.mkdtempSync(path.join(TOOLS_DIR, "ferretdb-build-"));
  const tmpBin = `${FERRETDB_BIN}.tmp-${process.pid}`;
  try {
    if (ferretDbUsable(FERRETDB_BIN)) return FERRETDB_BIN;
    log(`One-time build of FerretDB ${FERRETDB_VERSION} into ${path.relative(REPO_ROOT, FERRETDB_BIN)} (about 15 s with a warm Go cache, 2-4 min cold; later runs reuse it)…`);
    const started = Date.now();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GOTOOLCHAIN: "local",
      GOFLAGS: [process.env.GOFLAGS ?? "", "-mod=mod"].join(" ").trim(),
    };
    const info = JSON.parse(await run(go, ["mod", "download", "-json", `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], { cwd: work, env }, log, "go mod download")) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download gave no source dir${info.Error ? `: ${info.Error}` : ""}`);
    // The module cache copy is read-only and lacks build/version/version.txt (a generated
    // file); without it the binary panics at start. So build from a writable copy.
    const src = path.join(work, "src");
    fs.cpSync(info.Dir, src, { recursive: true });
    spawnSync("chmod", ["-R", "u+w", src]);
    fs.writeFileSync(path.join(src, "build", "version", "version.txt"), `${FERRETDB_VERSION}\n`);
    fs.writeFileSync(path.join(src, "build", "version", "package.txt"), `${FERRETDB_PACKAGE}\n`);
    patchSerializedWrites(src);
    patchIndexPushdown(src);
    await run(go, ["build", "-o", tmpBin, "./cmd/ferretdb"], { cwd: src, env }, log, "go build");
    if (!ferretDbUsable(tmpBin)) throw new Error(`the FerretDB build at ${tmpBin} does not run (\`${tmpBin} --version\` failed)`);
    fs.renameSync(tmpBin, FERRETDB_BIN);
    log(`FerretDB built in ${Math.round((Date.now() - started) / 1000)}s.`);
    return FERRETDB_BIN;
  } finally {
    fs.rmSync(tmpBin, { force: true });
    spawnSync("chmod", ["-R", "u+w", work]);
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(lockFile, { force: true });
  }
}

// ---------------------------------------------------------------- starters

async function startMongod(bin: string, dataDir: string): Promise<{ child: Child; uri: string }> {
  const dbPath = path.join(dataDir, "mongod");
  fs.mkdirSync(dbPath, { recursive: true });
  const { child, port } = await startOnFreePort(
    "mongod",
    (port) => startChild("mongod", bin, ["--dbpath", dbPath, "--port", String(port), "--bind_ip", "127.0.0.1", "--quiet"], dataDir),
    (port) => mongoPing(`mongodb://127.0.0.1:${port}/`),
  );
  return { child, uri: `mongodb://127.0.0.1:${port}/${DEFAULT_DB_NAME}` };
}

async function startFerretDb(bin: string, dataDir: string): Promise<{ child: Child; uri: string }> {
  const sqliteDir = path.join(dataDir, "ferretdb");
  const stateDir = path.join(dataDir, "ferretdb-state");
  fs.mkdirSync(sqliteDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const { child, port } = await startOnFreePort(
    "FerretDB",
    (port) =>
      startChild(
        "ferretdb",
        bin,
        [
          "--handler=sqlite",
          `--sqlite-url=file:${sqliteDir}/`,
          `--listen-addr=127.0.0.1:${port}`,
          "--telemetry=disable",
          "--debug-addr=-", // "-" disables the metrics/pprof HTTP listener
          "--log-level=error", // warn logs every error reply in full (duplicate keys, unknown commands)
          `--state-dir=${stateDir}`,
        ],
        dataDir,
      ),
    (port) => mongoPing(`mongodb://127.0.0.1:${port}/`),
  );
  return { child, uri: `mongodb://127.0.0.1:${port}/${DEFAULT_DB_NAME}` };
}

async function startRedis(bin: string, dataDir: string, persist: boolean): Promise<{ child: Child; url: string }> {
  const dir = path.join(dataDir, "redis");
  fs.mkdirSync(dir, { recursive: true });
  const { child, port } = await startOnFreePort(
    "redis-server",
    (port) =>
      startChild("redis-server", bin, ["--port", String(port), "--bind", "127.0.0.1", ...(persist ? ["--save", "60 1", "--appendonly", "yes"] : ["--save", "", "--appendonly", "no"]), "--dir", dir], dataDir),
    (port) => redisPing(`redis://127.0.0.1:${port}`),
  );
  return { child, url: `redis://127.0.0.1:${port}` };
}

// ---------------------------------------------------------------- public API

export async function startServices(opts: StartOptions): Promise<Services> {
  const log: Log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  await killStaleChildren(dataDir, log);

  const children: Child[] = [];
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(children.map(stopChild));
      removeOwnServicesFile(dataDir);
    })();
    return stopped;
  };

  try {
    let mongoUri: string;
    let mongoKind: Services["mongoKind"];
    if (opts.mongoUri) {
      mongoUri = opts.mongoUri;
      mongoKind = "external";
    } else {
      const mongod = which("mongod");
      if (mongod) {
        const m = await startMongod(mongod, dataDir);
        children.push(m.child);
        mongoUri = m.uri;
        mongoKind = "mongod";
      } else {
        // the one-time build is announced even to callers that pass no log: it can take minutes
        const bin = await ensureFerretDb(opts.log ?? ((l) => process.stderr.write(`[services] ${l}\n`)));
        const f = await startFerretDb(bin, dataDir);
        children.push(f.child);
        mongoUri = f.uri;
        mongoKind = "ferretdb";
      }
    }

    let redisUrl: string;
    let redisKind: Services["redisKind"];
    if (opts.redisUrl) {
      redisUrl = opts.redisUrl;
      redisKind = "external";
    } else {
      const bin = which("redis-server", ["/usr/sbin", "/usr/local/bin"]);
      if (!bin) {
        throw new Error("redis-server is not installed: run `sudo apt-get install redis-server` (or your OS's equivalent), or set REDIS_URL to a running Redis.");
      }
      const r = await startRedis(bin, dataDir, opts.persistRedis ?? false);
      children.push(r.child);
      redisUrl = r.url;
      redisKind = "redis-server";
    }

    log(`database: ${mongoKind} ${mongoUri}; redis: ${redisKind} ${redisUrl}`);
    return { mongoUri, redisUrl, mongoKind, redisKind, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface ServicesFile {
  mongoUri: string;
  redisUrl: string;
  ownerPid: number;
  pids: number[];
}

/** Write DATA_DIR/services.json (mode 0600) naming the URIs, this process and its children. */
export function writeServicesFile(dataDir: string, s: Pick<Services, "mongoUri" | "redisUrl">): void {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pids = [...liveChildren].filter((c) => c.dataDir === dir).map((c) => c.pid);
  const body: ServicesFile = { mongoUri: s.mongoUri, redisUrl: s.redisUrl, ownerPid: process.pid, pids };
  const file = path.join(dir, SERVICES_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  installExitHooks();
  servicesFilesWritten.add(dir);
}

const servicesFilesWritten = new Set<string>();
process.on("exit", () => {
  for (const dir of servicesFilesWritten) removeOwnServicesFile(dir);
});

function removeOwnServicesFile(dataDir: string): void {
  const file = path.join(dataDir, SERVICES_FILE);
  try {
    const body = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<ServicesFile>;
    if (body.ownerPid === process.pid) fs.rmSync(file, { force: true });
  } catch {
    /* missing or unreadable: nothing of ours */
  }
  servicesFilesWritten.delete(dataDir);
}

/** host:port pairs of a mongodb:// or redis:// URI; null when they can't be known (mongodb+srv). */
function endpointsOf(uri: string): Array<[string, number]> | null {
  const m = /^([a-z0-9+]+):\/\/(?:[^@/]*@)?([^/?#]+)/i.exec(uri);
  if (!m || m[1]!.toLowerCase().endsWith("+srv")) return null;
  const def = m[1]!.toLowerCase().startsWith("redis") ? 6379 : 27017;
  return m[2]!.split(",").map((hp) => {
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hp);
    if (v6) return [v6[1]!, Number(v6[2] ?? def)];
    const [h, p] = hp.split(":");
    return [h!, Number(p ?? def)];
  });
}

/** True when every endpoint accepts a TCP connection (synchronous: runs a tiny node probe). */
function portsAnswer(endpoints: Array<[string, number]>): boolean {
  if (endpoints.length === 0) return true;
  const script = `
    const net = require("node:net");
    const eps = JSON.parse(process.argv[1]);
    Promise.all(eps.map(([host, port]) => new Promise((ok) => {
      const s = net.connect({ host, port });
      const done = (v) => { s.destroy(); ok(v); };
      s.setTimeout(1000, () => done(false));
      s.on("connect", () => done(true));
      s.on("error", () => done(false));
    }))).then((r) => process.exit(r.every(Boolean) ? 0 : 1));`;
  const r = spawnSync(process.execPath, ["-e", script, JSON.stringify(endpoints)], { timeout: 5_000, stdio: "ignore" });
  return r.status === 0;
}

/**
 * The URIs a running demo wrote to DATA_DIR/services.json, or null when the file is
 * missing/unreadable, names processes no longer alive, or its ports don't answer.
 */
export function readServicesFile(dataDir: string): { mongoUri: string; redisUrl: string } | null {
  let body: Partial<ServicesFile>;
  try {
    body = JSON.parse(fs.readFileSync(path.join(path.resolve(dataDir), SERVICES_FILE), "utf8")) as Partial<ServicesFile>;
  } catch {
    return null;
  }
  if (typeof body.mongoUri !== "string" || typeof body.redisUrl !== "string") return null;
  if (body.ownerPid !== undefined && !isAlive(body.ownerPid)) return null;
  if ((body.pids ?? []).some((p) => !isAlive(p))) return null;
  const endpoints = [...(endpointsOf(body.mongoUri) ?? []), ...(endpointsOf(body.redisUrl) ?? [])];
  if (!portsAnswer(endpoints)) return null;
  return { mongoUri: body.mongoUri, redisUrl: body.redisUrl };
}
