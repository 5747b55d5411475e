/**
 * `npx tsx scripts/bench/db-ops.ts`: what one operation costs the embedded FerretDB and the
 * driver here, single versus batched (insertMany, bulkWrite, $in): the figures behind the
 * group commits on the chat path (docs/performance.md). Prints CPU per document.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import mongoose from "mongoose";
import { startServices } from "../src/services.js";
import { procCpuSeconds } from "./lib.js";
import { execSync } from "node:child_process";

const { MongoClient, ObjectId } = mongoose.mongo;

const s = await startServices({ dataDir: mkdtempSync(path.join(tmpdir(), "fx-")) });
const pid = Number(execSync(`pgrep -f 'ferretdb.*${new URL(s.mongoUri).port}' | head -1`).toString().trim());
const c = await MongoClient.connect(s.mongoUri);
const db = c.db("fx");
const col = db.collection("m");
await col.createIndex({ senderId: 1, clientId: 1 }, { unique: true });
await col.createIndex({ conversationId: 1 });
const conv = db.collection("c");
const convIds = Array.from({ length: 200 }, () => new ObjectId());
await conv.insertMany(convIds.map((_id) => ({ _id, n: 0 })));
const body = "x".repeat(300);
const doc = (i: number) => ({ conversationId: convIds[i % 200], senderId: convIds[(i + 1) % 200], clientId: `c${i}-${Math.random()}`, body, createdAt: new Date() });
async function measure(name: string, n: number, fn: () => Promise<void>) {
  const c0 = procCpuSeconds(pid), a0 = process.cpuUsage(), t0 = Date.now();
  await fn();
  const dc = procCpuSeconds(pid) - c0, da = process.cpuUsage(a0), dt = Date.now() - t0;
  console.log(`${name.padEnd(40)} ${((dc * 1000) / n).toFixed(3)} ms ferret CPU/doc, ${(((da.user + da.system) / 1000) / n).toFixed(3)} ms client CPU/doc, ${(dt / n).toFixed(3)} ms wall/doc`);
}
const N = 2000;
let k = 0;
await measure("insertOne sequential", N, async () => { for (let i = 0; i < N; i++) await col.insertOne(doc(k++)); });
await measure("insertOne 20 concurrent", N, async () => { for (let i = 0; i < N; i += 20) await Promise.all(Array.from({ length: 20 }, () => col.insertOne(doc(k++)))); });
await measure("insertMany 20", N, async () => { for (let i = 0; i < N; i += 20) await col.insertMany(Array.from({ length: 20 }, () => doc(k++)), { ordered: false }); });
await measure("insertMany 100", N, async () => { for (let i = 0; i < N; i += 100) await col.insertMany(Array.from({ length: 100 }, () => doc(k++)), { ordered: false }); });
await measure("updateOne $inc sequential", N, async () => { for (let i = 0; i < N; i++) await conv.updateOne({ _id: convIds[i % 200] }, { $inc: { n: 1 }, $max: { last: new Date() } }); });
await measure("bulkWrite 20 updates", N, async () => { for (let i = 0; i < N; i += 20) await conv.bulkWrite(Array.from({ length: 20 }, (_, j) => ({ updateOne: { filter: { _id: convIds[(i + j) % 200] }, update: { $inc: { n: 1 }, $max: { last: new Date() } } } })), { ordered: false }); });
await measure("findOne by indexed field", N, async () => { for (let i = 0; i < N; i++) await col.findOne({ conversationId: convIds[i % 200] }, { projection: { _id: 1 } }); });
await measure("findOne by _id (conv)", N, async () => { for (let i = 0; i < N; i++) await conv.findOne({ _id: convIds[i % 200] }); });
await measure("find $in 20 _ids", N, async () => { for (let i = 0; i < N; i += 20) await conv.find({ _id: { $in: convIds.slice(i % 200, (i % 200) + 20) } }).toArray(); });
await c.close();
await s.stop();
process.exit(0);
