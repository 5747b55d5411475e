import { alertAckSchema } from "@glp1/shared";
import type { EventHandlers } from "../../realtime/pipeline.js";
import type { AlertService } from "./alerts.service.js";

export function alertSocketHandlers(alerts: AlertService): Pick<EventHandlers, "alert:ack"> {
  return {
    "alert:ack": {
      schema: alertAckSchema,
      resource: "alert",
      run: async ({ actor }, input, target) => ({ alert: await alerts.acknowledge(actor, input.alertId, target) }),
    },
  };
}
