-- Group commit for a hot auction: the listing's one writer applies every bid
-- that queued up while the previous batch committed, in one statement. Each
-- element is either a decided bid (applied through place_bid, in its own
-- subtransaction) or a refusal to store as the req's answer. A bid decided
-- from a state that an earlier element failed to reach comes back 'stale' and
-- is decided again by the writer.
--
-- p_bids: [{"kind": "apply", "args": {...place_bid arguments...}} | {"kind": "refuse", "user_id", "req", "error"}]
-- Returns a jsonb array of results in the same order.
CREATE FUNCTION place_bids(p_bids JSONB) RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_bid JSONB;
  v_args JSONB;
  v_result JSONB;
  v_results JSONB := '[]'::jsonb;
BEGIN
  FOR v_bid IN SELECT * FROM jsonb_array_elements(p_bids) LOOP
    IF v_bid ->> 'kind' = 'refuse' THEN
      INSERT INTO request_results (user_id, req, action, ok, result)
      VALUES ((v_bid ->> 'user_id')::uuid, v_bid ->> 'req', 'bid', false, v_bid -> 'error')
      ON CONFLICT (user_id, req) DO NOTHING;
      v_results := v_results || jsonb_build_array(jsonb_build_object('status', CASE WHEN FOUND THEN 'refused' ELSE 'replayed' END));
      CONTINUE;
    END IF;
    v_args := v_bid -> 'args';
    BEGIN
      v_result := place_bid(
        (v_args ->> 'listing_id')::uuid, (v_args ->> 'expected_bid_count')::int, (v_args ->> 'bidder_id')::uuid,
        v_args ->> 'bidder_role', (v_args ->> 'amount')::bigint, v_args ->> 'outcome', (v_args ->> 'price')::bigint,
        (v_args ->> 'hold')::bigint, (v_args ->> 'new_maximum')::bigint, (v_args ->> 'displaced_id')::uuid,
        (v_args ->> 'displaced_maximum')::bigint, (v_args ->> 'end')::timestamptz, (v_args ->> 'extended')::boolean,
        v_args ->> 'req', v_args -> 'result', v_args -> 'outbid_event', (v_args ->> 'outbid_user')::uuid,
        v_args -> 'extended_event');
    EXCEPTION WHEN SQLSTATE 'P0003' THEN
      v_result := jsonb_build_object('status', 'replayed');
    END;
    v_results := v_results || jsonb_build_array(v_result);
  END LOOP;
  RETURN v_results;
END;
$$;
