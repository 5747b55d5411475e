import { randomBytes } from "node:crypto";
import type { ChatMessage } from "@glp1/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectSocket, emitAck, loginAgent, makeCareTeam, startTestApp, type TestApp } from "../../test/harness.js";
import { Types } from "mongoose";
import { insertSealed } from "./encryption.plugin.js";
import { aadFor, FieldCipher, SEALED_PREFIX } from "./fieldCipher.js";
import { unwrapKey, wrapKey } from "./keyring.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

describe("PHI at rest", () => {
  it("leaves no name, email or message text in clear in any raw collection", async () => {
    const team = await makeCareTeam(app);
    const socket = await connectSocket(app, (await loginAgent(app, team.patient)).cookie);
    const body = `Dose 0.5 mg taken, mild nausea ${randomBytes(4).toString("hex")}`;
    const ack = await emitAck<{ message: ChatMessage }>(socket, "chat:send", { conversationId: team.conversationId, body, clientId: "enc-test-1" });
    socket.close();
    expect(ack.ok).toBe(true);

    const db = app.db.conn.db!;
    const dump: string[] = [];
    for (const c of await db.listCollections().toArray()) {
      dump.push(JSON.stringify(await db.collection(c.name).find().toArray()));
    }
    const everything = dump.join("\n");
    for (const secret of [team.patient.name, team.patient.email, team.physician.name, team.physician.email, body]) {
      expect(everything).not.toContain(secret);
    }
    const rawMessage = await db.collection("messages").findOne({ clientId: "enc-test-1" });
    expect(String(rawMessage!.body).startsWith(SEALED_PREFIX)).toBe(true);
    const rawUser = await db.collection("users").findOne({ _id: rawMessage!.senderId });
    expect(String(rawUser!.name).startsWith(SEALED_PREFIX)).toBe(true);
    expect(String(rawUser!.email).startsWith(SEALED_PREFIX)).toBe(true);
    // Through the model it reads back in clear.
    expect((await app.db.models.messages.findById(rawMessage!._id))!.body).toBe(body);
  });

  it("refuses writes that would bypass the plugin", async () => {
    const team = await makeCareTeam(app);
    await expect(app.db.models.users.updateOne({ _id: team.patient.id }, { $set: { name: "Plain Text" } })).rejects.toThrow(/save\(\)/);
    await expect(app.db.models.users.findOneAndUpdate({ _id: team.patient.id }, { name: "Plain Text" })).rejects.toThrow(/save\(\)/);
    await expect(app.db.models.messages.insertMany([{ conversationId: new Types.ObjectId(), senderId: new Types.ObjectId(), body: "Plain Text", clientId: "x" }])).rejects.toThrow(/insertSealed/);
  });

  it("insertSealed stores a batch sealed, answering each input: stored, duplicate or invalid", async () => {
    const conversationId = new Types.ObjectId();
    const senderId = new Types.ObjectId();
    const tag = randomBytes(4).toString("hex");
    const results = await insertSealed(app.db.models.messages, [
      { conversationId, senderId, body: `first ${tag}`, clientId: `${tag}-1` },
      { conversationId, senderId, body: `again ${tag}`, clientId: `${tag}-1` }, // same (sender, clientId): refused
      { conversationId, senderId, clientId: `${tag}-2` }, // no body: invalid
      { conversationId, senderId, body: `third ${tag}`, clientId: `${tag}-3` },
    ]);
    expect(results.map((r) => (r instanceof Error ? ((r as { code?: number }).code ?? "invalid") : "stored"))).toEqual(["stored", 11000, "invalid", "stored"]);
    const raw = await app.db.conn.db!.collection("messages").find({ conversationId }).sort({ clientId: 1 }).toArray();
    expect(raw.map((m) => m.clientId)).toEqual([`${tag}-1`, `${tag}-3`]);
    for (const m of raw) {
      expect(String(m.body).startsWith(SEALED_PREFIX)).toBe(true);
      expect(String(m.body)).not.toContain(tag);
    }
    // Bound to its own _id like a saved document: the model opens it, and the answer is readable.
    const opened = await app.db.models.messages.find({ conversationId }).sort({ clientId: 1 });
    expect(opened.map((m) => m.body)).toEqual([`first ${tag}`, `third ${tag}`]);
    expect((results[0] as { body: string; _id: Types.ObjectId }).body).toBe(`first ${tag}`);
    expect(String((results[0] as { _id: Types.ObjectId })._id)).toBe(String(raw[0]!._id));
  });

  it("re-seals a field changed through save()", async () => {
    const team = await makeCareTeam(app);
    const doc = (await app.db.models.users.findById(team.patient.id))!;
    doc.name = "Renamed Person";
    await doc.save();
    expect(doc.name).toBe("Renamed Person");
    const raw = await app.db.conn.db!.collection("users").findOne({ _id: doc._id });
    expect(String(raw!.name)).not.toContain("Renamed");
    expect((await app.db.models.users.findById(team.patient.id))!.name).toBe("Renamed Person");
  });
});

describe("FieldCipher", () => {
  const master = randomBytes(32);
  const key = randomBytes(32);
  const keyring = { active: () => ({ id: "k1", key }), get: (id: string) => (id === "k1" ? key : (() => { throw new Error("unknown"); })()) };
  const cipher = new FieldCipher(keyring as never, master);

  it("uses a fresh IV each time and round-trips", () => {
    const a = cipher.seal("same text", aadFor("messages", "body", "1"));
    const b = cipher.seal("same text", aadFor("messages", "body", "1"));
    expect(a).not.toBe(b);
    expect(cipher.open(a, aadFor("messages", "body", "1"))).toBe("same text");
    expect(FieldCipher.keyIdOf(a)).toBe("k1");
  });

  it("refuses a ciphertext moved to another record or field", () => {
    const sealed = cipher.seal("Jane Doe", aadFor("users", "name", "A"));
    expect(() => cipher.open(sealed, aadFor("users", "name", "B"))).toThrow();
    expect(() => cipher.open(sealed, aadFor("users", "email", "A"))).toThrow();
  });

  it("refuses a tampered ciphertext", () => {
    const sealed = cipher.seal("Jane Doe", "x");
    const raw = Buffer.from(sealed.split(":").at(-1)!, "base64");
    raw[14] = raw[14]! ^ 1;
    const tampered = `${sealed.slice(0, sealed.lastIndexOf(":") + 1)}${raw.toString("base64")}`;
    expect(() => cipher.open(tampered, "x")).toThrow();
  });

  it("computes a stable blind index that depends on the key", () => {
    const other = new FieldCipher(keyring as never, randomBytes(32));
    expect(cipher.blindIndex("email", "a@b.test")).toBe(cipher.blindIndex("email", "a@b.test"));
    expect(cipher.blindIndex("email", "a@b.test")).not.toBe(other.blindIndex("email", "a@b.test"));
    expect(cipher.blindIndex("email", "a@b.test")).not.toContain("a@b");
  });

  it("wraps data keys so only the master key opens them", () => {
    const wrapped = wrapKey(master, key);
    expect(unwrapKey(master, wrapped).equals(key)).toBe(true);
    expect(() => unwrapKey(randomBytes(32), wrapped)).toThrow();
  });
});
