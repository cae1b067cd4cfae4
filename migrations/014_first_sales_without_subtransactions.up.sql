-- Group-committed first sales without subtransactions.
--
-- Why: first_sales (migration 012) ran each purchase through first_sale in a
-- subtransaction, and first_sale opened a second one around the request's
-- answer: a batch of 64 purchases made 128 subtransactions. Past 64 a
-- backend's subtransactions no longer fit in shared memory and every other
-- backend that meets one of its row versions looks its status up in
-- pg_subtrans; the hot-auction batches (migration 013) measured statements
-- 5-15 times dearer than in a plain transaction for the same reason.
--
-- Nothing here needs a subtransaction, as a purchase that must not happen is
-- found out before it writes, or undoes its only write itself:
--   * the req is claimed first (INSERT ... ON CONFLICT DO NOTHING): a req
--     answered before is {"raised": "P0003"} and nothing else is written; the
--     claim is given the purchase's answer at the end;
--   * the debit is the funds check, and a debit that turns out to be a
--     deleted account's is reversed together with the claim
--     ({"raised": "P0002"}, as before);
--   * the unique key on the coordinates decides races (ON CONFLICT DO NOTHING)
--     and the loser's debit is refunded, as first_sale did.
-- The config version is read once per batch instead of once per purchase.
--
-- Same arguments and same result as first_sales (migration 012), which stays,
-- with first_sale, for a server of the previous release during a roll-over.
CREATE FUNCTION first_sales_batch(p_purchases JSONB, p_config_version BIGINT) RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_item JSONB;
  v_results JSONB := '[]'::jsonb;
  v_user UUID;
  v_req TEXT;
  v_x INTEGER;
  v_y INTEGER;
  v_price BIGINT;
  v_balance BIGINT;
  v_available BIGINT;
  v_deleted BOOLEAN;
  v_land_id UUID;
  v_transaction_id UUID;
  v_outcome JSONB;
BEGIN
  IF (SELECT version FROM admin_config ORDER BY version DESC LIMIT 1) <> p_config_version THEN
    RETURN (SELECT jsonb_agg(jsonb_build_object('config_changed', true)) FROM jsonb_array_elements(p_purchases));
  END IF;

  FOR v_item IN SELECT value FROM jsonb_array_elements(p_purchases) LOOP
    v_user := (v_item ->> 'user_id')::uuid;
    v_req := v_item ->> 'req';
    v_x := (v_item ->> 'x')::integer;
    v_y := (v_item ->> 'y')::integer;
    v_price := (v_item ->> 'price_bdt')::bigint;
    v_land_id := NULL;

    INSERT INTO request_results (user_id, req, action, ok, result)
    VALUES (v_user, v_req, 'buy', false, '{}'::jsonb)
    ON CONFLICT (user_id, req) DO NOTHING;
    IF NOT FOUND THEN
      -- Answered before (a re-delivered job): that answer stands.
      v_results := v_results || jsonb_build_array(jsonb_build_object('raised', 'P0003'));
      CONTINUE;
    END IF;

    -- The debit is the funds check; it reads only the buyer's row, by primary key.
    v_balance := NULL;
    UPDATE users SET balance_bdt = balance_bdt - v_price, updated_at = now()
    WHERE user_id = v_user AND balance_bdt - held_bdt >= v_price
    RETURNING balance_bdt, deleted_at IS NOT NULL INTO v_balance, v_deleted;

    IF v_balance IS NOT NULL AND v_deleted THEN
      UPDATE users SET balance_bdt = balance_bdt + v_price WHERE user_id = v_user;
      DELETE FROM request_results WHERE user_id = v_user AND req = v_req;
      v_results := v_results || jsonb_build_array(jsonb_build_object('raised', 'P0002'));
      CONTINUE;
    END IF;

    IF v_balance IS NULL THEN
      SELECT balance_bdt - held_bdt, deleted_at IS NOT NULL INTO v_available, v_deleted FROM users WHERE user_id = v_user;
      IF v_available IS NULL OR v_deleted THEN
        v_outcome := jsonb_build_object('ok', false, 'error',
          jsonb_build_object('code', 'UNAUTHENTICATED', 'message', 'The account no longer exists.'));
      ELSE
        v_outcome := jsonb_build_object('ok', false, 'error', jsonb_build_object('code', 'INSUFFICIENT_FUNDS',
          'message', format('This land costs %s BDT; you have %s BDT available.', v_price, v_available)));
      END IF;
    ELSE
      INSERT INTO lands (owner_id, x, y, biome, elevation, color_hex, price_base_bdt)
      VALUES (v_user, v_x, v_y, v_item ->> 'biome', (v_item ->> 'elevation')::double precision, v_item ->> 'color_hex', v_price)
      ON CONFLICT (x, y, z) DO NOTHING
      RETURNING land_id INTO v_land_id;

      IF v_land_id IS NULL THEN
        UPDATE users SET balance_bdt = balance_bdt + v_price WHERE user_id = v_user;
        v_outcome := jsonb_build_object('ok', false, 'error',
          jsonb_build_object('code', 'ALREADY_OWNED', 'message', 'Someone already owns this land.'));
      ELSE
        INSERT INTO transactions (land_id, seller_id, buyer_id, kind, amount_bdt, status, platform_fee_bdt,
                                  request_user_id, request_req, completed_at)
        VALUES (v_land_id, '00000000-0000-4000-8000-000000000001', v_user, 'first_sale', v_price, 'completed', 0,
                v_user, v_req, now())
        RETURNING transaction_id INTO v_transaction_id;
        -- The world account is credited by appending to its ledger, never by
        -- updating its row: that row would be hot under SERIALIZABLE.
        INSERT INTO world_ledger (amount_bdt, reason, transaction_id) VALUES (v_price, 'first_sale', v_transaction_id);
        INSERT INTO audit_logs (event_type, event_category, actor_id, actor_role, resource_type, resource_id, action,
                                details, amount_bdt)
        VALUES ('land_purchased', 'land_transfer', v_user, 'user', 'land', v_land_id::text, 'buy',
                jsonb_build_object('x', v_x, 'y', v_y, 'transaction_id', v_transaction_id,
                                   'config_version', p_config_version, 'req', v_req),
                v_price);
        v_outcome := jsonb_build_object('ok', true, 'data', jsonb_build_object(
          'land_id', v_land_id, 'x', v_x, 'y', v_y, 'price_bdt', v_price, 'balance_bdt', v_balance,
          'transaction_id', v_transaction_id));
      END IF;
    END IF;

    UPDATE request_results
    SET ok = (v_outcome ->> 'ok')::boolean,
        result = CASE WHEN (v_outcome ->> 'ok')::boolean THEN v_outcome -> 'data' ELSE v_outcome -> 'error' END
    WHERE user_id = v_user AND req = v_req;
    v_results := v_results || jsonb_build_array(jsonb_build_object('outcome', v_outcome, 'land_id', v_land_id,
      'updated_at_ms', floor(extract(epoch FROM clock_timestamp()) * 1000)));
  END LOOP;
  RETURN v_results;
END;
$$;
