import { z } from "zod";
import type { EventHandlers } from "../../realtime/pipeline.js";
import { rooms } from "../../realtime/rooms.js";
import type { TriageService } from "./triage.service.js";

/** `triage:subscribe`: a support socket joins the triage room. */
export function triageSocketHandlers(triage: TriageService): Pick<EventHandlers, "triage:subscribe"> {
  return {
    "triage:subscribe": {
      schema: z.strictObject({}),
      resource: "triage",
      async run({ actor, socket }, _input, target) {
        triage.authorizeQueue(actor, target);
        await socket.join(rooms.triage);
        return {};
      },
    },
  };
}
