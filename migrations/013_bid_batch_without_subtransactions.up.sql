-- A hot auction's batch of bids, applied without subtransactions. Per bid
-- only the req's claim and the holds are written as the bid is decided (later
-- bids of the batch depend on them); the listing, its land and the land's
-- announcement are written once per batch, and the bids, audit rows,
-- notifications and outbox rows with one statement per table at the end.
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
  v_bid_rows JSONB := '[]'::jsonb;
  v_audit_rows JSONB := '[]'::jsonb;
  v_notification_rows JSONB := '[]'::jsonb;
  v_outbox_rows JSONB := '[]'::jsonb;
  v_leader_row INTEGER;
  v_displaced_status TEXT;
  v_earlier_leader_status TEXT;
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

    -- The bid's row, written with the batch's others at the end. A leader
    -- displaced within the batch is written already outbid (or cancelled when
    -- its bidder raised their own maximum); one from before the batch is
    -- updated once.
    v_bid_id := gen_random_uuid();
    IF v_args ->> 'outcome' = 'outbid_at_once' THEN
      v_bid_rows := v_bid_rows || jsonb_build_array(jsonb_build_object('bid_id', v_bid_id, 'bidder_id', v_bidder,
        'amount', (v_args ->> 'amount')::bigint, 'status', 'outbid', 'req', v_args ->> 'req', 'at', clock_timestamp()));
    ELSE
      v_displaced_status := CASE WHEN v_args ->> 'outcome' = 'raised_own_maximum' THEN 'cancelled' ELSE 'outbid' END;
      IF v_leader_row IS NOT NULL THEN
        v_bid_rows := jsonb_set(v_bid_rows, ARRAY[v_leader_row::text, 'status'], to_jsonb(v_displaced_status));
      ELSIF v_leading IS NOT NULL AND v_earlier_leader_status IS NULL THEN
        v_earlier_leader_status := v_displaced_status;
      END IF;
      IF v_args ->> 'displaced_id' IS NOT NULL THEN
        UPDATE users SET held_bdt = held_bdt - (v_args ->> 'displaced_maximum')::bigint, updated_at = now()
        WHERE user_id = (v_args ->> 'displaced_id')::uuid;
      END IF;
      v_leader_row := jsonb_array_length(v_bid_rows);
      v_leading := v_bid_id;
      v_bid_rows := v_bid_rows || jsonb_build_array(jsonb_build_object('bid_id', v_bid_id, 'bidder_id', v_bidder,
        'amount', (v_args ->> 'new_maximum')::bigint, 'status', 'active', 'req', v_args ->> 'req', 'at', clock_timestamp()));
    END IF;

    v_audit_rows := v_audit_rows || jsonb_build_array(jsonb_build_object('actor_id', v_bidder, 'actor_role', v_args ->> 'bidder_role',
      'details', jsonb_build_object('outcome', v_args ->> 'outcome', 'price_bdt', (v_args ->> 'price')::bigint,
                                    'extended', (v_args ->> 'extended')::boolean, 'req', v_args ->> 'req'),
      'amount', (v_args ->> 'hold')::bigint));

    v_end := (v_args ->> 'end')::timestamptz;
    IF (v_args ->> 'extended')::boolean THEN
      v_extensions := v_extensions + 1;
      v_events := v_events || jsonb_build_array(v_args -> 'extended_event');
      v_outbox_rows := v_outbox_rows || jsonb_build_array(jsonb_build_object('topic', 'schedule_auction_close',
        'payload', jsonb_build_object('listing_id', p_listing_id, 'end_ms', floor(extract(epoch FROM v_end) * 1000))));
    END IF;
    IF v_args ->> 'outbid_user' IS NOT NULL THEN
      v_notification_rows := v_notification_rows || jsonb_build_array(jsonb_build_object('user_id', v_args ->> 'outbid_user',
        'payload', v_args -> 'outbid_event'));
      v_outbox_rows := v_outbox_rows || jsonb_build_array(jsonb_build_object('topic', 'notify',
        'payload', jsonb_build_object('user_id', v_args ->> 'outbid_user', 'event', v_args -> 'outbid_event')));
    END IF;

    v_price := (v_args ->> 'price')::bigint;
    v_bid_count := v_bid_count + 1;
    v_applied := v_applied + 1;
    v_results := v_results || jsonb_build_array(jsonb_build_object('status', 'applied'));
  END LOOP;

  IF v_applied > 0 THEN
    -- What the applied bids wrote besides the holds, a statement per table.
    IF v_earlier_leader_status IS NOT NULL THEN
      UPDATE bids SET status = v_earlier_leader_status WHERE bid_id = v_listing.leading_bid_id;
    END IF;
    INSERT INTO bids (bid_id, listing_id, bidder_id, amount_bdt, status, request_req, created_at)
    SELECT (row ->> 'bid_id')::uuid, p_listing_id, (row ->> 'bidder_id')::uuid, (row ->> 'amount')::bigint,
           row ->> 'status', row ->> 'req', (row ->> 'at')::timestamptz
    FROM jsonb_array_elements(v_bid_rows) AS row;
    INSERT INTO audit_logs (event_type, event_category, actor_id, actor_role, resource_type, resource_id, action, details, amount_bdt)
    SELECT 'bid_placed', 'marketplace', (row ->> 'actor_id')::uuid, row ->> 'actor_role', 'listing', p_listing_id::text, 'bid',
           row -> 'details', (row ->> 'amount')::bigint
    FROM jsonb_array_elements(v_audit_rows) AS row;
    INSERT INTO notifications (user_id, type, payload)
    SELECT (row ->> 'user_id')::uuid, 'outbid', row -> 'payload' FROM jsonb_array_elements(v_notification_rows) AS row;
    UPDATE listings
    SET current_price_bdt = v_price, leading_bid_id = v_leading, bid_count = v_bid_count,
        auction_end_time = v_end, extensions = extensions + v_extensions, updated_at = now()
    WHERE listing_id = p_listing_id;
    UPDATE lands SET updated_at = clock_timestamp() WHERE land_id = v_listing.land_id RETURNING updated_at INTO v_updated_at;
    v_outbox_rows := v_outbox_rows || jsonb_build_array(jsonb_build_object('topic', 'land_changed',
      'payload', jsonb_build_object('land_id', v_listing.land_id, 'events', v_events)));
    WITH written AS (
      INSERT INTO outbox (topic, payload)
      SELECT row ->> 'topic', row -> 'payload' FROM jsonb_array_elements(v_outbox_rows) AS row
      RETURNING outbox_id
    )
    SELECT array_agg(outbox_id ORDER BY outbox_id) INTO v_outbox_ids FROM written;
  END IF;

  RETURN jsonb_build_object('results', v_results, 'land_id', v_listing.land_id, 'outbox_ids', to_jsonb(coalesce(v_outbox_ids, '{}')),
    'updated_at_ms', CASE WHEN v_updated_at IS NULL THEN NULL ELSE floor(extract(epoch FROM v_updated_at) * 1000) END);
END;
$$;
