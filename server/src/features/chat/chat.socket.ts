import { chatReadSchema, chatSendSchema, conversationRefSchema, HISTORY_DEFAULT_LIMIT } from "@glp1/shared";
import type { EventHandlers } from "../../realtime/pipeline.js";
import { rooms } from "../../realtime/rooms.js";
import type { ChatService } from "./chat.service.js";

/** Socket doors onto the chat service; the pipeline has already checked the session. */
export function chatSocketHandlers(chat: ChatService): Pick<EventHandlers, "chat:join" | "chat:send" | "chat:typing" | "chat:read"> {
  return {
    "chat:join": {
      schema: conversationRefSchema,
      resource: "conversation",
      async run({ actor, socket }, input, target) {
        const messages = await chat.history(actor, input.conversationId, { limit: HISTORY_DEFAULT_LIMIT }, target);
        await socket.join(rooms.conversation(input.conversationId));
        return { messages };
      },
    },
    "chat:send": {
      schema: chatSendSchema,
      resource: "conversation",
      async run({ actor, io, disclose, afterAudit }, input, target) {
        const { message, recipients } = await chat.send(actor, input, target);
        // Each recipient's copy is a disclosure. Queued now, stored with the act's own entry;
        // nobody sees the message before both are stored.
        const disclosed = disclose(recipients, { action: "chat:message", resource: "message", resourceId: message.id, patientId: target.patientId ?? null });
        disclosed.catch(() => undefined); // awaited below; the act's failure may come first
        afterAudit(async () => {
          await disclosed;
          io.to([rooms.conversation(input.conversationId), rooms.user(actor.userId), ...recipients.map(rooms.user)]).emit("chat:message", { message });
        });
        return { message };
      },
    },
    "chat:typing": {
      schema: conversationRefSchema,
      resource: "conversation",
      async run({ actor, socket }, input, target) {
        await chat.typing(actor, input.conversationId, target);
        socket.to(rooms.conversation(input.conversationId)).emit("chat:typing", { conversationId: input.conversationId, userId: actor.userId });
        return {};
      },
    },
    "chat:read": {
      schema: chatReadSchema,
      resource: "conversation",
      async run({ actor, io }, input, target) {
        await chat.markRead(actor, input, target);
        // Also the reader's own room: their other tabs drop the unread count even when they
        // never joined this conversation (an inbox list) or lost the room in a reconnect.
        io.to([rooms.conversation(input.conversationId), rooms.user(actor.userId)]).emit("chat:read", { ...input, userId: actor.userId });
        return {};
      },
    },
  };
}
