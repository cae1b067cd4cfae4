import { schema, t, type SchemaType } from "@colyseus/schema";

/**
 * The `land_chat` room's state (PROTOCOL.md): which land, and how many people
 * are in its chat now (also kept in `chat_sessions.participant_count`).
 * Messages are not state: they travel as `msg`/`history` messages.
 */
export const LandChatState = schema(
  {
    land_id: t.string(),
    participant_count: t.int32(),
  },
  "LandChatState",
);
export type LandChatState = SchemaType<typeof LandChatState>;
