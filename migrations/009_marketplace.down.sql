DROP INDEX bids_bidder_active_idx;
DROP INDEX listings_type_status_idx;
ALTER TABLE bids DROP COLUMN request_req;
ALTER TABLE listings DROP CONSTRAINT listings_buy_now_above_start;
ALTER TABLE listings DROP CONSTRAINT listings_reserve_at_least_start;
ALTER TABLE listings DROP COLUMN extensions;
ALTER TABLE listings DROP COLUMN closed_at;
DROP TABLE notifications;
DROP TABLE outbox;
