import { Router } from "express";
import { z } from "zod";
import { invalidInput } from "../../errors.js";
import { chatHistoryQuery, LAND_PASSCODE_HEADER, landIdSchema, passcodeGuessSchema } from "../../protocol/room-messages.js";
import type { AccountsService } from "../../services/accounts-service.js";
import type { ChatServices } from "../../services/chat-services.js";
import { currentUser, requireUser } from "../auth-middleware.js";
import { PRIVATE_NO_STORE } from "../cache-control.js";
import { parseInput } from "../validation.js";

const landParams = z.strictObject({ land_id: landIdSchema });

/**
 * `GET /lands/:land_id/messages?before=&limit=`: older chat history, under
 * the chat room's access rule (owner, unfenced land, or the passcode in the
 * `X-Land-Passcode` header, which counts toward the same lockouts). Answers
 * `{messages, next_before}`, oldest first; ciphertext only.
 */
export function chatRoutes(deps: { accounts: AccountsService; chat: ChatServices }): Router {
  const { accounts, chat } = deps;
  const router = Router();

  router.get("/lands/:land_id/messages", requireUser(accounts), async (request, response) => {
    const { land_id } = parseInput(landParams, request.params);
    const query = parseInput(chatHistoryQuery, request.query);
    const header = request.get(LAND_PASSCODE_HEADER);
    if (header !== undefined && !passcodeGuessSchema.safeParse(header).success) {
      throw invalidInput(`${LAND_PASSCODE_HEADER} is too long.`);
    }
    await chat.access.admit(currentUser(request).userId, land_id, header);
    const page = await chat.messages.page(land_id, query);
    // Private, and a page of a live chat is stale at once.
    response.set("Cache-Control", PRIVATE_NO_STORE).json(page);
  });

  return router;
}
