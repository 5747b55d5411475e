import { objectIdSchema, reportMetricsSchema } from "@glp1/shared";
import { z } from "zod";
import type { EventHandlers } from "../../realtime/pipeline.js";
import { rooms } from "../../realtime/rooms.js";
import type { MetricsService } from "./metrics.service.js";

export function metricsSocketHandlers(metrics: MetricsService): Pick<EventHandlers, "metrics:subscribe" | "metrics:unsubscribe" | "metrics:report"> {
  return {
    "metrics:subscribe": {
      schema: z.strictObject({ patientId: objectIdSchema }),
      resource: "reading",
      async run({ actor, socket }, input, target) {
        const { until } = await metrics.authorizeFeed(actor, input.patientId, target);
        const room = rooms.patient(input.patientId);
        await socket.join(room);
        // Break-glass access ends on time for a feed already open too: leave the room then.
        if (until) {
          const timer = setTimeout(() => void socket.leave(room), Math.max(0, until.getTime() - Date.now()));
          timer.unref();
          socket.once("disconnect", () => clearTimeout(timer));
        }
        return {};
      },
    },
    "metrics:unsubscribe": {
      schema: z.strictObject({ patientId: objectIdSchema }),
      resource: "reading",
      async run({ socket }, input, target) {
        target.patientId = input.patientId;
        await socket.leave(rooms.patient(input.patientId));
        return {};
      },
    },
    "metrics:report": {
      schema: reportMetricsSchema,
      resource: "reading",
      run: ({ actor }, input, target) => metrics.report(actor, input, target),
    },
  };
}
