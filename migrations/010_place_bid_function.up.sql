-- A bid as one statement. The listing's single writer (its chunk room's
-- process) decides the bid from the auction state it holds (the pure rules in
-- src/domain/auction); this function applies that decision in one round trip,
-- and only if the auction is still in the state the decision was made from
-- (same bid count, still active, not ended): otherwise it answers 'stale' and
-- the writer reloads the state and decides again.
--
-- p_outcome: 'leads' | 'raised_own_maximum' | 'outbid_at_once'.
-- Returns jsonb: {"status": "applied" | "stale" | "insufficient_funds", "land_id", "outbox_ids",
-- "updated_at_ms"}: the land's new updated_at (the database's clock of the
-- change), so the writer can announce the auction state at once, stamped like
-- every other change of that land.
CREATE FUNCTION place_bid(
  p_listing_id UUID,
  p_expected_bid_count INTEGER,
  p_bidder_id UUID,
  p_bidder_role VARCHAR(20),
  p_amount BIGINT,
  p_outcome VARCHAR(20),
  p_price BIGINT,
  p_hold BIGINT,
  p_new_maximum BIGINT,
  p_displaced_id UUID,
  p_displaced_maximum BIGINT,
  p_end TIMESTAMPTZ,
  p_extended BOOLEAN,
  p_req VARCHAR(64),
  p_result JSONB,
  p_outbid_event JSONB,
  p_outbid_user UUID,
  p_extended_event JSONB
) RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_listing listings%ROWTYPE;
  v_bid_id UUID;
  v_events JSONB := '[]'::jsonb;
  v_outbox_id BIGINT;
  v_outbox_ids BIGINT[] := '{}';
  v_updated_at TIMESTAMPTZ;
BEGIN
  SELECT * INTO v_listing FROM listings WHERE listing_id = p_listing_id FOR UPDATE;
  IF NOT FOUND OR v_listing.status <> 'active' OR v_listing.bid_count <> p_expected_bid_count
     OR v_listing.auction_end_time <= clock_timestamp() THEN
    RETURN jsonb_build_object('status', 'stale');
  END IF;

  -- Funds back every bid: the hold must fit in the bidder's available funds.
  UPDATE users SET held_bdt = held_bdt + p_hold, updated_at = now()
  WHERE user_id = p_bidder_id
    AND balance_bdt - held_bdt >= CASE WHEN p_outcome = 'outbid_at_once' THEN p_amount ELSE p_hold END;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('status', 'insufficient_funds');
  END IF;

  IF p_outcome = 'outbid_at_once' THEN
    INSERT INTO bids (listing_id, bidder_id, amount_bdt, status, request_req)
    VALUES (p_listing_id, p_bidder_id, p_amount, 'outbid', p_req);
    v_bid_id := v_listing.leading_bid_id;
  ELSE
    IF v_listing.leading_bid_id IS NOT NULL THEN
      UPDATE bids SET status = CASE WHEN p_outcome = 'raised_own_maximum' THEN 'cancelled' ELSE 'outbid' END
      WHERE bid_id = v_listing.leading_bid_id;
    END IF;
    IF p_displaced_id IS NOT NULL THEN
      UPDATE users SET held_bdt = held_bdt - p_displaced_maximum, updated_at = now() WHERE user_id = p_displaced_id;
    END IF;
    INSERT INTO bids (listing_id, bidder_id, amount_bdt, status, request_req)
    VALUES (p_listing_id, p_bidder_id, p_new_maximum, 'active', p_req)
    RETURNING bid_id INTO v_bid_id;
  END IF;

  UPDATE listings
  SET current_price_bdt = p_price, leading_bid_id = v_bid_id, bid_count = bid_count + 1,
      auction_end_time = p_end, extensions = extensions + CASE WHEN p_extended THEN 1 ELSE 0 END, updated_at = now()
  WHERE listing_id = p_listing_id;
  UPDATE lands SET updated_at = clock_timestamp() WHERE land_id = v_listing.land_id RETURNING updated_at INTO v_updated_at;

  INSERT INTO audit_logs (event_type, event_category, actor_id, actor_role, resource_type, resource_id, action, details, amount_bdt)
  VALUES ('bid_placed', 'marketplace', p_bidder_id, p_bidder_role, 'listing', p_listing_id::text, 'bid',
          jsonb_build_object('outcome', p_outcome, 'price_bdt', p_price, 'extended', p_extended, 'req', p_req), p_hold);

  IF p_extended THEN
    v_events := v_events || jsonb_build_array(p_extended_event);
    INSERT INTO outbox (topic, payload) VALUES ('schedule_auction_close',
      jsonb_build_object('listing_id', p_listing_id, 'end_ms', floor(extract(epoch FROM p_end) * 1000)))
    RETURNING outbox_id INTO v_outbox_id;
    v_outbox_ids := v_outbox_ids || v_outbox_id;
  END IF;
  INSERT INTO outbox (topic, payload) VALUES ('land_changed', jsonb_build_object('land_id', v_listing.land_id, 'events', v_events))
  RETURNING outbox_id INTO v_outbox_id;
  v_outbox_ids := v_outbox_ids || v_outbox_id;
  IF p_outbid_user IS NOT NULL THEN
    INSERT INTO notifications (user_id, type, payload) VALUES (p_outbid_user, 'outbid', p_outbid_event);
    INSERT INTO outbox (topic, payload) VALUES ('notify', jsonb_build_object('user_id', p_outbid_user, 'event', p_outbid_event))
    RETURNING outbox_id INTO v_outbox_id;
    v_outbox_ids := v_outbox_ids || v_outbox_id;
  END IF;

  BEGIN
    INSERT INTO request_results (user_id, req, action, ok, result) VALUES (p_bidder_id, p_req, 'bid', true, p_result);
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'request already answered' USING ERRCODE = 'P0003';
  END;
  RETURN jsonb_build_object('status', 'applied', 'land_id', v_listing.land_id, 'outbox_ids', to_jsonb(v_outbox_ids),
    'updated_at_ms', floor(extract(epoch FROM v_updated_at) * 1000));
END;
$$;
