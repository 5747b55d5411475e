import { Router } from "express";
import { historyQuerySchema, objectIdSchema } from "@glp1/shared";
import { audited } from "../../audit/audited.js";
import type { AuditWriter } from "../../audit/audit.writer.js";
import { parseInput } from "../../http/errors.js";
import { metaOf, mustActor, requireAuth } from "../../http/request.js";
import type { ChatService } from "./chat.service.js";

export function createChatRoutes(deps: { chat: ChatService; audit: AuditWriter }): Router {
  const router = Router();
  router.use(requireAuth);

  router.get("/", async (req, res) => {
    const actor = mustActor(req);
    const conversations = await audited(deps.audit, "chat:list", actor, metaOf(req), { resource: "conversation" }, () =>
      deps.chat.list(actor),
    );
    res.json({ conversations });
  });

  router.get("/:id/messages", async (req, res) => {
    const actor = mustActor(req);
    const messages = await audited(deps.audit, "chat:history", actor, metaOf(req), { resource: "conversation" }, (target) => {
      const id = parseInput(objectIdSchema, req.params.id);
      const q = parseInput(historyQuerySchema, req.query);
      return deps.chat.history(actor, id, q, target);
    });
    res.json({ messages });
  });

  return router;
}
