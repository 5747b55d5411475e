import { z } from "zod";
import { requireRole } from "../../auth/policy.js";
import type { EventHandlers } from "../../realtime/pipeline.js";
import { rooms } from "../../realtime/rooms.js";

/** `dashboard:subscribe`: a physician's socket joins their own dashboard room (never another's). */
export function dashboardSocketHandlers(): Pick<EventHandlers, "dashboard:subscribe"> {
  return {
    "dashboard:subscribe": {
      schema: z.strictObject({}),
      resource: "dashboard",
      async run({ actor, socket }, _input, target) {
        requireRole(actor, "physician");
        target.resourceId = actor.userId;
        await socket.join(rooms.dashboard(actor.userId));
        return {};
      },
    },
  };
}
