DROP FUNCTION apply_bid_batch(UUID, JSONB);
