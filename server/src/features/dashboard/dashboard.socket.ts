import { z } from "zod";
import { requireRole } from "../../auth/policy.js";
import type { EventHandlers } from "../../realtime/pipeline.js";
import { rooms } from "../../realtime/rooms.js";
import type { Presence } from "./presence.js";

/**
 * `dashboard:subscribe`: a physician's socket joins their own dashboard room (never
 * another's). `watchers` counts the physician's subscribed sockets across nodes, so the
 * feed computes and pushes rows only for dashboards someone has open.
 */
export function dashboardSocketHandlers(watchers?: Presence): Pick<EventHandlers, "dashboard:subscribe"> {
  const counted = new WeakSet<object>();
  return {
    "dashboard:subscribe": {
      schema: z.strictObject({}),
      resource: "dashboard",
      async run({ actor, socket }, _input, target) {
        requireRole(actor, "physician");
        target.resourceId = actor.userId;
        await socket.join(rooms.dashboard(actor.userId));
        if (watchers && !counted.has(socket)) {
          counted.add(socket);
          await watchers.connected(actor.userId);
          const done = () => void watchers.disconnected(actor.userId).catch(() => undefined);
          if (socket.disconnected) done();
          else socket.once("disconnect", done);
        }
        return {};
      },
    },
  };
}
