-- The immutable audit trail, partitioned by month.

CREATE TABLE audit_logs (
  log_id UUID NOT NULL DEFAULT gen_random_uuid(),
  event_type VARCHAR(50) NOT NULL,
  event_category VARCHAR(50) NOT NULL
    CHECK (event_category IN ('land_transfer', 'payment', 'admin', 'marketplace', 'user', 'system')),
  actor_id UUID REFERENCES users (user_id),
  actor_role VARCHAR(20),
  resource_type VARCHAR(50),
  resource_id VARCHAR(255),
  action VARCHAR(255),
  details JSONB,
  status VARCHAR(20) NOT NULL DEFAULT 'success' CHECK (status IN ('success', 'failure')),
  error_message TEXT,
  amount_bdt BIGINT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (log_id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE audit_logs_default PARTITION OF audit_logs DEFAULT;
CREATE INDEX audit_logs_actor_id_idx ON audit_logs (actor_id, created_at DESC);
CREATE INDEX audit_logs_event_type_idx ON audit_logs (event_type);
CREATE INDEX audit_logs_category_idx ON audit_logs (event_category, created_at DESC);
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource_type, resource_id);
CREATE INDEX audit_logs_created_at_idx ON audit_logs (created_at DESC);
CREATE INDEX audit_logs_failures_idx ON audit_logs (created_at) WHERE status = 'failure';

CREATE TRIGGER audit_logs_insert_only BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION reject_mutation();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION reject_mutation();

SELECT ensure_month_partitions('audit_logs', (now() AT TIME ZONE 'UTC')::date - 31, 15);
