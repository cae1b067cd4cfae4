-- Marketplace plumbing: the outbox, stored notifications, and the columns a
-- settlement needs.

-- Anything that must happen after a commit (scheduling an auction's close,
-- announcing a change, notifying a user) is written here in that commit and
-- relayed afterwards, so a crash between the commit and the queue loses nothing.
CREATE TABLE outbox (
  outbox_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic VARCHAR(40) NOT NULL CHECK (topic IN ('schedule_auction_close', 'land_changed', 'notify')),
  payload JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  dispatched_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (outbox_id) WHERE dispatched_at IS NULL;

-- What happened to a user while they were away (outbid, sold, won, …).
CREATE TABLE notifications (
  notification_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id UUID NOT NULL REFERENCES users (user_id),
  type VARCHAR(40) NOT NULL,
  payload JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  read_at TIMESTAMPTZ
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

ALTER TABLE listings ADD COLUMN closed_at TIMESTAMPTZ;
ALTER TABLE listings ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0 CHECK (extensions >= 0);
ALTER TABLE listings ADD CONSTRAINT listings_reserve_at_least_start
  CHECK (reserve_price_bdt IS NULL OR reserve_price_bdt >= price_bdt);
ALTER TABLE listings ADD CONSTRAINT listings_buy_now_above_start
  CHECK (type <> 'auction' OR buy_now_price_bdt IS NULL OR buy_now_price_bdt > price_bdt);
ALTER TABLE bids ADD COLUMN request_req VARCHAR(64);
CREATE INDEX listings_type_status_idx ON listings (type, status, created_at DESC);
CREATE INDEX bids_bidder_active_idx ON bids (bidder_id) WHERE status = 'active';
