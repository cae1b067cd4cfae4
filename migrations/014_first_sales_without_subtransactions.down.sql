DROP FUNCTION first_sales_batch(JSONB, BIGINT);
