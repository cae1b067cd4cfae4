-- Shared helpers, accounts, the world account and stored request results.

-- Rejects UPDATE, DELETE and TRUNCATE on insert-only tables (transactions,
-- audit_logs, ledgers). A correction is a new row, never an edit.
CREATE FUNCTION reject_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is insert-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;

-- Creates the monthly partitions of a table partitioned by created_at, from
-- the month of from_month for the given number of months. A month whose rows
-- already sit in the DEFAULT partition cannot be created; it is skipped with a
-- warning (the partition job reports such rows) instead of failing the rest.
CREATE FUNCTION ensure_month_partitions(parent TEXT, from_month DATE, months INT) RETURNS INT
LANGUAGE plpgsql AS $$
DECLARE
  month_start DATE;
  partition_name TEXT;
  created INT := 0;
BEGIN
  FOR i IN 0 .. months - 1 LOOP
    month_start := (date_trunc('month', from_month) + make_interval(months => i))::date;
    partition_name := format('%s_%s', parent, to_char(month_start, 'YYYY_MM'));
    IF to_regclass(partition_name) IS NULL THEN
      BEGIN
        EXECUTE format(
          'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
          partition_name, parent,
          to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
          to_char((month_start + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00');
        created := created + 1;
      EXCEPTION WHEN check_violation OR invalid_object_definition THEN
        RAISE WARNING 'partition % not created: %', partition_name, SQLERRM;
      END;
    END IF;
  END LOOP;
  RETURN created;
END;
$$;

CREATE TABLE users (
  user_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  username VARCHAR(32) NOT NULL CHECK (username ~ '^[A-Za-z0-9_]{3,32}$'),
  email VARCHAR(255) NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  -- NULL only for the system account, which can never log in.
  password_hash VARCHAR(255),
  role VARCHAR(20) NOT NULL DEFAULT 'user'
    CHECK (role IN ('user', 'admin', 'moderator', 'system')),
  balance_bdt BIGINT NOT NULL DEFAULT 0 CHECK (balance_bdt >= 0),
  -- Funds promised to leading bids; a settlement can never fail for lack of funds.
  held_bdt BIGINT NOT NULL DEFAULT 0 CHECK (held_bdt >= 0),
  avatar_url TEXT,
  bio TEXT,
  verified BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at TIMESTAMPTZ,
  CONSTRAINT users_held_within_balance CHECK (held_bdt <= balance_bdt),
  CONSTRAINT users_password_unless_system CHECK (password_hash IS NOT NULL OR role = 'system')
);

-- Usernames are unique whatever their case, for ever (no impersonation of a
-- deleted account); emails are unique among active users only.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_active_key ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_role_idx ON users (role);
CREATE INDEX users_created_at_idx ON users (created_at DESC);

-- The world account sells first-sale land and receives platform fees, so every
-- transfer has two parties. Its balance is users.balance_bdt plus its ledger
-- (see world_ledger), so purchases of different lands never update one hot row.
INSERT INTO users (user_id, username, email, password_hash, role, verified)
VALUES ('00000000-0000-4000-8000-000000000001', 'world', 'world@system.invalid', NULL, 'system', true);

-- The result of each client request, stored in the same transaction as the
-- change it made: a repeated request replays this instead of acting twice.
CREATE TABLE request_results (
  user_id UUID NOT NULL REFERENCES users (user_id),
  req VARCHAR(64) NOT NULL,
  action VARCHAR(32) NOT NULL,
  ok BOOLEAN NOT NULL,
  result JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, req)
);
CREATE INDEX request_results_created_at_idx ON request_results (created_at);
