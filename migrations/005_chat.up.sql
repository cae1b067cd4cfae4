-- Land chat: sessions and end-to-end encrypted messages (ciphertext only).

CREATE TABLE chat_sessions (
  session_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  land_id UUID NOT NULL REFERENCES lands (land_id),
  status VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deleted')),
  participant_count INTEGER NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX chat_sessions_one_active_per_land ON chat_sessions (land_id) WHERE status = 'active';
CREATE INDEX chat_sessions_land_id_idx ON chat_sessions (land_id);

CREATE TABLE messages (
  message_id UUID NOT NULL DEFAULT gen_random_uuid(),
  session_id UUID NOT NULL REFERENCES chat_sessions (session_id),
  land_id UUID NOT NULL REFERENCES lands (land_id),
  sender_id UUID NOT NULL REFERENCES users (user_id),
  encrypted_payload TEXT NOT NULL,
  encryption_version VARCHAR(10) NOT NULL DEFAULT '1.0',
  iv VARCHAR(255) NOT NULL,
  message_type VARCHAR(20) NOT NULL DEFAULT 'text' CHECK (message_type IN ('text', 'image', 'attachment')),
  client_req VARCHAR(64),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at TIMESTAMPTZ,
  PRIMARY KEY (message_id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE messages_default PARTITION OF messages DEFAULT;
CREATE INDEX messages_land_created_idx ON messages (land_id, created_at DESC);
CREATE INDEX messages_session_id_idx ON messages (session_id, created_at DESC);
CREATE INDEX messages_sender_id_idx ON messages (sender_id);
CREATE INDEX messages_created_at_idx ON messages (created_at DESC);

SELECT ensure_month_partitions('messages', (now() AT TIME ZONE 'UTC')::date - 31, 15);
