/**
 * The bench's physical limit: a bare Socket.IO relay on this machine. Same transport
 * (WebSocket only), frame limit, event names, payload and ack shapes as the product, and
 * the same fan-out (each message goes to its conversation room, which holds both
 * participants) — but no session check, rate limit, validation, database or audit.
 *
 * Env: PORT (0 = any), ADAPTER = none | redis | streams, REDIS_URL (for the adapters),
 * ADAPTER_KEY. Prints `LISTENING <port>` on stdout.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

const adapterKind = process.env.ADAPTER ?? "none";
const httpServer = createServer();
const io = new Server(httpServer, { transports: ["websocket"], maxHttpBufferSize: 64 * 1024, serveClient: false });

if (adapterKind !== "none") {
  const { Redis } = await import("ioredis");
  const url = process.env.REDIS_URL!;
  const key = process.env.ADAPTER_KEY ?? "bench:socket.io";
  if (adapterKind === "redis") {
    const { createAdapter } = await import("@socket.io/redis-adapter");
    const pub = new Redis(url);
    io.adapter(createAdapter(pub, pub.duplicate(), { key }));
  } else if (adapterKind === "streams") {
    // Optional dev dependency: only present when measured (see docs/performance.md).
    const mod = "@socket.io/redis-streams-adapter";
    const { createAdapter } = (await import(mod)) as { createAdapter: (r: unknown, o?: unknown) => any };
    io.adapter(createAdapter(new Redis(url), { streamName: key }));
  } else {
    throw new Error(`unknown ADAPTER ${adapterKind}`);
  }
}

const nodeTag = randomBytes(4).toString("hex");
let seq = 0;

io.on("connection", (socket) => {
  const auth = socket.handshake.auth as { userId?: string; room?: string };
  const userId = String(auth.userId ?? socket.id);
  void socket.join(auth.room ? [`user:${userId}`, `conversation:${auth.room}`] : [`user:${userId}`]);
  socket.on("chat:send", (payload: { conversationId?: unknown; body?: unknown; clientId?: unknown }, ack: (a: unknown) => void) => {
    if (typeof ack !== "function") return;
    if (typeof payload?.conversationId !== "string" || typeof payload.body !== "string" || typeof payload.clientId !== "string") {
      ack({ ok: false, error: { code: "VALIDATION_FAILED", message: "bad payload" } });
      return;
    }
    seq++;
    const message = {
      id: `${nodeTag}${seq.toString(16).padStart(16, "0")}`,
      conversationId: payload.conversationId,
      senderId: userId,
      body: payload.body,
      clientId: payload.clientId,
      createdAt: new Date().toISOString(),
    };
    io.to(`conversation:${payload.conversationId}`).emit("chat:message", { message });
    ack({ ok: true, data: { message } });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${(httpServer.address() as AddressInfo).port}\n`);
});
const stop = () => io.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
