import type { ServerToClientEvents } from "@glp1/shared";
import type { AppServer } from "./pipeline.js";
import { rooms } from "./rooms.js";

type EventName = keyof ServerToClientEvents;
type Payload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/**
 * Lets services push events without knowing about sockets. Bound to the Socket.IO server
 * once it exists; pushes cross nodes through the Redis adapter. Before binding (CLI tools,
 * seeds) pushes are dropped: nobody is connected to such a process.
 */
export function createNotifier() {
  let io: AppServer | null = null;
  return {
    bind(server: AppServer) {
      io = server;
    },
    /** At shutdown: late pushes (coalescing timers) are dropped instead of hitting closed Redis. */
    unbind() {
      io = null;
    },
    toUsers<E extends EventName>(userIds: string[], event: E, payload: Payload<E>) {
      if (!io || userIds.length === 0) return;
      (io.to(userIds.map(rooms.user)).emit as (e: E, p: Payload<E>) => boolean)(event, payload);
    },
    toRoom<E extends EventName>(room: string | string[], event: E, payload: Payload<E>) {
      if (!io) return;
      (io.to(room).emit as (e: E, p: Payload<E>) => boolean)(event, payload);
    },
    /** Take every socket of these users out of these rooms, on every node (access was withdrawn). */
    leave(userIds: string[], roomNames: string[]) {
      if (!io || userIds.length === 0 || roomNames.length === 0) return;
      io.in(userIds.map(rooms.user)).socketsLeave(roomNames);
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
