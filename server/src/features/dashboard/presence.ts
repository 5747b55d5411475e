import type { Redis } from "ioredis";
import type { AppServer } from "../../realtime/pipeline.js";

const DECREMENT = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
`;

/** How long a node's counts survive without its heartbeat (a killed node's counts lapse). */
const NODE_TTL_MS = 30_000;
const HEARTBEAT_MS = 10_000;

/**
 * Who is online, across tabs and nodes: a Redis hash per user holding, per node, the
 * number of that user's open sockets on the node (HINCRBY on connect and disconnect), and
 * a heartbeat key per node with a TTL. A user is online when some live node counts at
 * least one socket for them; the counts of a node that died without cleaning up are
 * ignored once its heartbeat lapses, and pruned on the next read.
 */
export function createPresence(deps: { redis: Redis; namespace: string; nodeId: string; set?: string }) {
  const { redis, namespace, nodeId } = deps;
  // Another `set` (say, who has a dashboard open) counts other things per user the same
  // way; it shares the node heartbeat, which the instance that is attached keeps.
  const userKey = (userId: string) => `${namespace}:${deps.set ?? "presence"}:${userId}`;
  const nodeKey = (id: string) => `${namespace}:presence-node:${id}`;
  let timer: NodeJS.Timeout | null = null;

  const beat = () => redis.set(nodeKey(nodeId), "1", "PX", NODE_TTL_MS);

  /** One more socket for the user on this node; true when the user was offline before. */
  async function connected(userId: string): Promise<boolean> {
    const before = await online([userId]);
    await beat();
    await redis.hincrby(userKey(userId), nodeId, 1);
    return !before.has(userId);
  }

  /** One socket fewer; true when the user is now offline everywhere. */
  async function disconnected(userId: string): Promise<boolean> {
    // One step: a connect landing between a separate decrement and delete would be lost.
    await redis.eval(DECREMENT, 1, userKey(userId), nodeId);
    return !(await online([userId])).has(userId);
  }

  /** The users among these with at least one live socket on a live node. */
  async function online(userIds: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (userIds.length === 0) return out;
    const pipe = redis.pipeline();
    for (const id of userIds) pipe.hgetall(userKey(id));
    const res = (await pipe.exec()) ?? [];
    const counts = res.map(([, v]) => (v ?? {}) as Record<string, string>);
    const nodes = [...new Set(counts.flatMap((c) => Object.keys(c)))];
    const alive = new Set<string>();
    if (nodes.length > 0) {
      const beats = await redis.mget(nodes.map(nodeKey));
      nodes.forEach((n, i) => beats[i] && alive.add(n));
    }
    const prune = redis.pipeline();
    counts.forEach((c, i) => {
      for (const [node, v] of Object.entries(c)) {
        if (!alive.has(node)) prune.hdel(userKey(userIds[i]!), node);
        else if (Number(v) > 0) out.add(userIds[i]!);
      }
    });
    if (prune.length > 0) await prune.exec();
    return out;
  }

  /**
   * Count every socket of the server; `onChange` hears of users going online or offline.
   * The heartbeat runs while the server does.
   */
  function attach(io: AppServer, onChange: (userId: string, role: string, online: boolean) => void): void {
    void beat();
    timer = setInterval(() => void beat().catch(() => undefined), HEARTBEAT_MS);
    timer.unref();
    io.on("connection", (socket) => {
      const { userId, role } = socket.data;
      const counted = connected(userId).then(
        (changed) => {
          if (changed) onChange(userId, role, true);
          return true;
        },
        () => false,
      );
      socket.on("disconnect", () => {
        void counted.then(async (ok) => {
          if (!ok) return;
          if (await disconnected(userId).catch(() => false)) onChange(userId, role, false);
        });
      });
    });
  }

  /** Stop the heartbeat and drop this node's heartbeat key (its counts then read as offline). */
  async function close(): Promise<void> {
    if (timer) clearInterval(timer);
    await redis.del(nodeKey(nodeId)).catch(() => undefined);
  }

  return { attach, connected, disconnected, online, close };
}

export type Presence = ReturnType<typeof createPresence>;
