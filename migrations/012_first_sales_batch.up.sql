-- Group commit for first sales: the purchase worker hands every purchase that
-- is waiting to one call, so a busy moment costs one transaction and one
-- round trip for many purchases instead of one each. Each purchase is still
-- decided by first_sale (migration 008), inside a subtransaction of its own:
-- a purchase that raises (deleted account, request already answered) undoes
-- only itself. A serialization failure or a deadlock is not caught here; it
-- aborts the whole batch, which the caller retries as a whole.
--
-- p_purchases: [{"user_id", "req", "x", "y", "biome", "elevation", "color_hex", "price_bdt"}, ...]
-- Returns a jsonb array in the same order, each element either first_sale's
-- result or {"raised": "<SQLSTATE>"}.
CREATE FUNCTION first_sales(p_purchases JSONB, p_config_version BIGINT) RETURNS JSONB
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
