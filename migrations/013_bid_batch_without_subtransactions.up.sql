-- A hot auction's batch of bids, applied without subtransactions and with the
-- listing, its land and the land's announcement written once per batch.
--
-- Why: place_bids (migration 011) ran each bid through place_bid inside two
-- subtransactions and updated the listing and the land row once per bid. A
-- batch of 40 bids thus made 80 subtransactions (past the 64 a backend keeps
-- in shared memory, after which visibility checks go to pg_subtrans) and 40
-- versions of the same two rows in one transaction, each update walking the
-- chain of the ones before it. Measured with auto_explain in the hot-auction
-- benchmark, each statement of a bid cost 5-15 times its cost in a plain
-- transaction.
--
-- Nothing here needs a subtransaction: a bid that cannot be applied is found
-- out before it writes anything.
--   * The req is claimed first (INSERT ... ON CONFLICT DO NOTHING): a req
--     already answered is 'replayed' and nothing else is written.
--   * The funds check is the hold's own UPDATE; when it matches no row the
--     bid is 'insufficient_funds' and its claimed req is turned into that
--     refusal (p_bids[i].args.refusal), so a resend gets the same answer.
-- Bids are decided by the listing's writer one after another from the state
-- the one before left, so once one is not applied every later bid of the
-- batch was decided from a state that never happened: they are 'stale' and
-- the writer decides them again.
--
-- place_bid and place_bids (migrations 010, 011) are no longer called; they
-- stay so that a server of the previous release still works against this
-- schema while a deployment rolls over.
--
-- p_listing_id: the listing every bid of the batch is for.
-- p_bids: [{"kind": "apply", "args": {expected_bid_count, bidder_id, bidder_role, amount, outcome, price,
--            hold, new_maximum, displaced_id, displaced_maximum, end, extended, req, result,
--            refusal, outbid_event, outbid_user, extended_event}}
--          | {"kind": "refuse", "user_id", "req", "error", "expected_bid_count" (null when decided
--             from the listing row alone)}]
-- Returns {"results": [{"status": "applied" | "stale" | "insufficient_funds" | "refused" | "replayed"}, ...]
--          (same order), "land_id", "outbox_ids", "updated_at_ms" (the land's new updated_at, null if
--          nothing was applied)}.
CREATE FUNCTION apply_bid_batch(p_listing_id UUID, p_bids JSONB) RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_listing listings%ROWTYPE;
  v_element JSONB;
  v_args JSONB;
  v_results JSONB := '[]'::jsonb;
  v_status TEXT;
  v_usable BOOLEAN;
  v_leading UUID;
  v_bid_count INTEGER;
  v_end TIMESTAMPTZ;
  v_price BIGINT;
  v_extensions INTEGER := 0;
  v_applied INTEGER := 0;
  v_bid_id UUID;
  v_bidder UUID;
  v_events JSONB := '[]'::jsonb;
  v_outbox_id BIGINT;
  v_outbox_ids BIGINT[] := '{}';
  v_updated_at TIMESTAMPTZ;
BEGIN
  SELECT * INTO v_listing FROM listings WHERE listing_id = p_listing_id FOR UPDATE;
  v_usable := FOUND AND v_listing.status = 'active';
  v_leading := v_listing.leading_bid_id;
  v_bid_count := v_listing.bid_count;
  v_end := v_listing.auction_end_time;
  v_price := v_listing.current_price_bdt;

  FOR v_element IN SELECT * FROM jsonb_array_elements(p_bids) LOOP
    IF v_element ->> 'kind' = 'refuse' THEN
      -- A refusal decided from a state this batch did not reach is decided again too.
      IF v_element ->> 'expected_bid_count' IS NOT NULL
         AND (NOT v_usable OR v_bid_count <> (v_element ->> 'expected_bid_count')::int) THEN
        v_results := v_results || jsonb_build_array(jsonb_build_object('status', 'stale'));
        CONTINUE;
      END IF;
      INSERT INTO request_results (user_id, req, action, ok, result)
      VALUES ((v_element ->> 'user_id')::uuid, v_element ->> 'req', 'bid', false, v_element -> 'error')
      ON CONFLICT (user_id, req) DO NOTHING;
      v_results := v_results || jsonb_build_array(jsonb_build_object('status', CASE WHEN FOUND THEN 'refused' ELSE 'replayed' END));
      CONTINUE;
    END IF;

    v_args := v_element -> 'args';
    v_bidder := (v_args ->> 'bidder_id')::uuid;
    IF NOT v_usable OR v_bid_count <> (v_args ->> 'expected_bid_count')::int OR v_end <= clock_timestamp() THEN
      v_status := 'stale';
    ELSE
      -- Claim the req: a req answered before is replayed, never applied twice.
      INSERT INTO request_results (user_id, req, action, ok, result)
      VALUES (v_bidder, v_args ->> 'req', 'bid', true, v_args -> 'result')
      ON CONFLICT (user_id, req) DO NOTHING;
      IF NOT FOUND THEN
        v_status := 'replayed';
      ELSE
        -- Funds back every bid: the hold must fit in the bidder's available funds.
        UPDATE users SET held_bdt = held_bdt + (v_args ->> 'hold')::bigint, updated_at = now()
        WHERE user_id = v_bidder
          AND balance_bdt - held_bdt >= CASE WHEN v_args ->> 'outcome' = 'outbid_at_once'
                                             THEN (v_args ->> 'amount')::bigint ELSE (v_args ->> 'hold')::bigint END;
        IF NOT FOUND THEN
          UPDATE request_results SET ok = false, result = v_args -> 'refusal'
          WHERE user_id = v_bidder AND req = v_args ->> 'req';
          v_status := 'insufficient_funds';
        ELSE
          v_status := 'applied';
        END IF;
      END IF;
    END IF;

    IF v_status <> 'applied' THEN
      v_results := v_results || jsonb_build_array(jsonb_build_object('status', v_status));
      -- Every later bid was decided from the state this one would have left.
      v_usable := false;
      CONTINUE;
    END IF;

    IF v_args ->> 'outcome' = 'outbid_at_once' THEN
      INSERT INTO bids (listing_id, bidder_id, amount_bdt, status, request_req)
      VALUES (p_listing_id, v_bidder, (v_args ->> 'amount')::bigint, 'outbid', v_args ->> 'req');
    ELSE
      IF v_leading IS NOT NULL THEN
        UPDATE bids SET status = CASE WHEN v_args ->> 'outcome' = 'raised_own_maximum' THEN 'cancelled' ELSE 'outbid' END
        WHERE bid_id = v_leading;
      END IF;
      IF v_args ->> 'displaced_id' IS NOT NULL THEN
        UPDATE users SET held_bdt = held_bdt - (v_args ->> 'displaced_maximum')::bigint, updated_at = now()
        WHERE user_id = (v_args ->> 'displaced_id')::uuid;
      END IF;
      INSERT INTO bids (listing_id, bidder_id, amount_bdt, status, request_req)
      VALUES (p_listing_id, v_bidder, (v_args ->> 'new_maximum')::bigint, 'active', v_args ->> 'req')
      RETURNING bid_id INTO v_leading;
    END IF;

    INSERT INTO audit_logs (event_type, event_category, actor_id, actor_role, resource_type, resource_id, action, details, amount_bdt)
    VALUES ('bid_placed', 'marketplace', v_bidder, v_args ->> 'bidder_role', 'listing', p_listing_id::text, 'bid',
            jsonb_build_object('outcome', v_args ->> 'outcome', 'price_bdt', (v_args ->> 'price')::bigint,
                               'extended', (v_args ->> 'extended')::boolean, 'req', v_args ->> 'req'),
            (v_args ->> 'hold')::bigint);

    v_end := (v_args ->> 'end')::timestamptz;
    IF (v_args ->> 'extended')::boolean THEN
      v_extensions := v_extensions + 1;
      v_events := v_events || jsonb_build_array(v_args -> 'extended_event');
      INSERT INTO outbox (topic, payload) VALUES ('schedule_auction_close',
        jsonb_build_object('listing_id', p_listing_id, 'end_ms', floor(extract(epoch FROM v_end) * 1000)))
      RETURNING outbox_id INTO v_outbox_id;
      v_outbox_ids := v_outbox_ids || v_outbox_id;
    END IF;
    IF v_args ->> 'outbid_user' IS NOT NULL THEN
      INSERT INTO notifications (user_id, type, payload) VALUES ((v_args ->> 'outbid_user')::uuid, 'outbid', v_args -> 'outbid_event');
      INSERT INTO outbox (topic, payload)
      VALUES ('notify', jsonb_build_object('user_id', v_args ->> 'outbid_user', 'event', v_args -> 'outbid_event'))
      RETURNING outbox_id INTO v_outbox_id;
      v_outbox_ids := v_outbox_ids || v_outbox_id;
    END IF;

    v_price := (v_args ->> 'price')::bigint;
    v_bid_count := v_bid_count + 1;
    v_applied := v_applied + 1;
    v_results := v_results || jsonb_build_array(jsonb_build_object('status', 'applied'));
  END LOOP;

  IF v_applied > 0 THEN
    UPDATE listings
    SET current_price_bdt = v_price, leading_bid_id = v_leading, bid_count = v_bid_count,
        auction_end_time = v_end, extensions = extensions + v_extensions, updated_at = now()
    WHERE listing_id = p_listing_id;
    UPDATE lands SET updated_at = clock_timestamp() WHERE land_id = v_listing.land_id RETURNING updated_at INTO v_updated_at;
    INSERT INTO outbox (topic, payload) VALUES ('land_changed', jsonb_build_object('land_id', v_listing.land_id, 'events', v_events))
    RETURNING outbox_id INTO v_outbox_id;
    v_outbox_ids := v_outbox_ids || v_outbox_id;
  END IF;

  RETURN jsonb_build_object('results', v_results, 'land_id', v_listing.land_id, 'outbox_ids', to_jsonb(v_outbox_ids),
    'updated_at_ms', CASE WHEN v_updated_at IS NULL THEN NULL ELSE floor(extract(epoch FROM v_updated_at) * 1000) END);
END;
$$;
