-- Money history: immutable transactions and the world account's ledger.

CREATE TABLE transactions (
  transaction_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  land_id UUID NOT NULL REFERENCES lands (land_id),
  seller_id UUID NOT NULL REFERENCES users (user_id),
  buyer_id UUID NOT NULL REFERENCES users (user_id),
  listing_id UUID REFERENCES listings (listing_id),
  kind VARCHAR(20) NOT NULL DEFAULT 'first_sale'
    CHECK (kind IN ('first_sale', 'listing_sale', 'auction_sale', 'refund')),
  amount_bdt BIGINT NOT NULL CHECK (amount_bdt >= 0),
  currency VARCHAR(3) NOT NULL DEFAULT 'BDT' CHECK (currency = 'BDT'),
  -- Written once in its final state, in the same database transaction as the
  -- money movement; a refund is a new row.
  status VARCHAR(20) NOT NULL DEFAULT 'completed'
    CHECK (status IN ('pending', 'completed', 'failed', 'refunded')),
  gateway_name VARCHAR(50),
  gateway_transaction_id VARCHAR(255),
  platform_fee_bdt BIGINT NOT NULL DEFAULT 0 CHECK (platform_fee_bdt >= 0),
  gateway_fee_bdt BIGINT NOT NULL DEFAULT 0 CHECK (gateway_fee_bdt >= 0),
  seller_receives_bdt BIGINT NOT NULL
    GENERATED ALWAYS AS (amount_bdt - platform_fee_bdt - gateway_fee_bdt) STORED,
  request_user_id UUID,
  request_req VARCHAR(64),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ,
  CONSTRAINT transactions_fees_within_amount CHECK (platform_fee_bdt + gateway_fee_bdt <= amount_bdt),
  CONSTRAINT transactions_distinct_parties CHECK (seller_id <> buyer_id)
);
CREATE INDEX transactions_seller_idx ON transactions (seller_id, created_at DESC);
CREATE INDEX transactions_buyer_idx ON transactions (buyer_id, created_at DESC);
CREATE INDEX transactions_land_idx ON transactions (land_id);
CREATE INDEX transactions_status_idx ON transactions (status);
CREATE INDEX transactions_created_at_idx ON transactions (created_at DESC);
-- A client request moves money at most once, whatever retries happen.
CREATE UNIQUE INDEX transactions_request_key ON transactions (request_user_id, request_req)
  WHERE request_req IS NOT NULL;
-- A listing is settled at most once.
CREATE UNIQUE INDEX transactions_one_per_listing ON transactions (listing_id)
  WHERE listing_id IS NOT NULL AND kind <> 'refund';

CREATE TRIGGER transactions_insert_only BEFORE UPDATE OR DELETE ON transactions
  FOR EACH ROW EXECUTE FUNCTION reject_mutation();
CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions
  FOR EACH STATEMENT EXECUTE FUNCTION reject_mutation();

-- Credits and debits of the world account, appended instead of updating its
-- users row: with every first sale paying the world, one hot row would make
-- concurrent purchases of different lands conflict under SERIALIZABLE.
CREATE TABLE world_ledger (
  entry_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  amount_bdt BIGINT NOT NULL CHECK (amount_bdt <> 0),
  reason VARCHAR(40) NOT NULL,
  transaction_id UUID REFERENCES transactions (transaction_id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX world_ledger_transaction_idx ON world_ledger (transaction_id);
CREATE TRIGGER world_ledger_insert_only BEFORE UPDATE OR DELETE ON world_ledger
  FOR EACH ROW EXECUTE FUNCTION reject_mutation();
CREATE TRIGGER world_ledger_no_truncate BEFORE TRUNCATE ON world_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION reject_mutation();

-- Every account's balance, the world account's derived from its ledger.
CREATE VIEW account_balances AS
SELECT u.user_id,
       u.username,
       u.role,
       u.balance_bdt + CASE WHEN u.role = 'system'
                            THEN COALESCE((SELECT sum(l.amount_bdt) FROM world_ledger l), 0)
                            ELSE 0 END AS balance_bdt,
       u.held_bdt
FROM users u;
