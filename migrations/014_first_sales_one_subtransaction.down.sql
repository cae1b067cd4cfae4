-- Back to migration 008's first_sale and migration 012's first_sales.
CREATE OR REPLACE FUNCTION first_sale(
  p_user_id UUID,
  p_req VARCHAR(64),
  p_x INTEGER,
  p_y INTEGER,
  p_biome VARCHAR(20),
  p_elevation DOUBLE PRECISION,
  p_color_hex VARCHAR(7),
  p_price BIGINT,
  p_config_version BIGINT
) RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_version BIGINT;
  v_balance BIGINT;
  v_held BIGINT;
  v_deleted BOOLEAN;
  v_land_id UUID;
  v_transaction_id UUID;
  v_outcome JSONB;
  v_stored JSONB;
BEGIN
  SELECT version INTO v_version FROM admin_config ORDER BY version DESC LIMIT 1;
  IF v_version <> p_config_version THEN
    RETURN jsonb_build_object('config_changed', true);
  END IF;

  -- The debit is the funds check; it reads only the buyer's row, by primary key.
  UPDATE users SET balance_bdt = balance_bdt - p_price, updated_at = now()
  WHERE user_id = p_user_id AND balance_bdt - held_bdt >= p_price
  RETURNING balance_bdt, deleted_at IS NOT NULL INTO v_balance, v_deleted;

  IF v_balance IS NULL THEN
    SELECT balance_bdt - held_bdt, deleted_at IS NOT NULL INTO v_held, v_deleted FROM users WHERE user_id = p_user_id;
    IF v_held IS NULL OR v_deleted THEN
      v_outcome := jsonb_build_object('ok', false, 'error',
        jsonb_build_object('code', 'UNAUTHENTICATED', 'message', 'The account no longer exists.'));
    ELSE
      v_outcome := jsonb_build_object('ok', false, 'error', jsonb_build_object('code', 'INSUFFICIENT_FUNDS',
        'message', format('This land costs %s BDT; you have %s BDT available.', p_price, v_held)));
    END IF;
  ELSIF v_deleted THEN
    RAISE EXCEPTION 'account deleted' USING ERRCODE = 'P0002';
  ELSE
    -- The unique key on the coordinates decides races.
    INSERT INTO lands (owner_id, x, y, biome, elevation, color_hex, price_base_bdt)
    VALUES (p_user_id, p_x, p_y, p_biome, p_elevation, p_color_hex, p_price)
    ON CONFLICT (x, y, z) DO NOTHING
    RETURNING land_id INTO v_land_id;

    IF v_land_id IS NULL THEN
      UPDATE users SET balance_bdt = balance_bdt + p_price WHERE user_id = p_user_id;
      v_outcome := jsonb_build_object('ok', false, 'error',
        jsonb_build_object('code', 'ALREADY_OWNED', 'message', 'Someone already owns this land.'));
    ELSE
      INSERT INTO transactions (land_id, seller_id, buyer_id, kind, amount_bdt, status, platform_fee_bdt,
                                request_user_id, request_req, completed_at)
      VALUES (v_land_id, '00000000-0000-4000-8000-000000000001', p_user_id, 'first_sale', p_price, 'completed', 0,
              p_user_id, p_req, now())
      RETURNING transaction_id INTO v_transaction_id;
      -- The world account is credited by appending to its ledger, never by
      -- updating its row: that row would be hot under SERIALIZABLE.
      INSERT INTO world_ledger (amount_bdt, reason, transaction_id) VALUES (p_price, 'first_sale', v_transaction_id);
      INSERT INTO audit_logs (event_type, event_category, actor_id, actor_role, resource_type, resource_id, action,
                              details, amount_bdt)
      VALUES ('land_purchased', 'land_transfer', p_user_id, 'user', 'land', v_land_id::text, 'buy',
              jsonb_build_object('x', p_x, 'y', p_y, 'transaction_id', v_transaction_id,
                                 'config_version', p_config_version, 'req', p_req),
              p_price);
      v_outcome := jsonb_build_object('ok', true, 'data', jsonb_build_object(
        'land_id', v_land_id, 'x', p_x, 'y', p_y, 'price_bdt', p_price, 'balance_bdt', v_balance,
        'transaction_id', v_transaction_id));
    END IF;
  END IF;

  BEGIN
    INSERT INTO request_results (user_id, req, action, ok, result)
    VALUES (p_user_id, p_req, 'buy', (v_outcome ->> 'ok')::boolean,
            CASE WHEN (v_outcome ->> 'ok')::boolean THEN v_outcome -> 'data' ELSE v_outcome -> 'error' END);
  EXCEPTION WHEN unique_violation THEN
    -- Answered before (a re-delivered job): undo this attempt, replay that answer.
    RAISE EXCEPTION 'request already answered' USING ERRCODE = 'P0003';
  END;

  RETURN jsonb_build_object('outcome', v_outcome, 'land_id', v_land_id,
    'updated_at_ms', floor(extract(epoch FROM clock_timestamp()) * 1000));
END;
$$;

CREATE OR REPLACE FUNCTION first_sales(p_purchases JSONB, p_config_version BIGINT) RETURNS JSONB
LANGUAGE plpgsql AS $$
DECLARE
  v_item JSONB;
  v_results JSONB := '[]'::jsonb;
BEGIN
  FOR v_item IN SELECT value FROM jsonb_array_elements(p_purchases) LOOP
    BEGIN
      v_results := v_results || jsonb_build_array(first_sale(
        (v_item ->> 'user_id')::uuid, v_item ->> 'req', (v_item ->> 'x')::integer, (v_item ->> 'y')::integer,
        v_item ->> 'biome', (v_item ->> 'elevation')::double precision, v_item ->> 'color_hex',
        (v_item ->> 'price_bdt')::bigint, p_config_version));
    EXCEPTION WHEN SQLSTATE 'P0002' OR SQLSTATE 'P0003' THEN
      v_results := v_results || jsonb_build_array(jsonb_build_object('raised', SQLSTATE));
    END;
  END LOOP;
  RETURN v_results;
END;
$$;
