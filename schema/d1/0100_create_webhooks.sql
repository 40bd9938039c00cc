-- Outbound webhooks (Standard Webhooks). A tenant's endpoints, one delivery per (endpoint, event, webhook type),
-- and one log row per HTTP attempt. Secrets are sealed (worker/domain/secret-box.ts), never stored in clear.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL, -- JSON array of webhook types
  filter TEXT NOT NULL DEFAULT '{}', -- JSON object: payload field -> required value (equality)
  secret_sealed TEXT NOT NULL,
  previous_secret_sealed TEXT, -- still signing until previous_secret_until (rotation overlap)
  previous_secret_until TEXT,
  status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  disabled_reason TEXT,
  failing_since TEXT, -- first failed attempt since the last success
  exhausted_in_a_row INTEGER NOT NULL DEFAULT 0, -- deliveries dead-lettered since the last success
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints(tenant_id, status);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY, -- the webhook-id header: the same on every retry and replay
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  webhook_type TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  body TEXT NOT NULL, -- the JSON payload exactly as signed
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  first_attempt_at TEXT, -- the retry window (3 days) counts from here; a replay restarts it
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT, -- a consumer is sending it until then
  last_status_code INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (endpoint_id, event_id, webhook_type)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(tenant_id, endpoint_id, created_at);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

CREATE TABLE webhook_attempts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status_code INTEGER, -- null: no answer (timeout, refused, blocked target)
  response_excerpt TEXT NOT NULL DEFAULT '', -- first 1 KB of the answer, or the error
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'retrying', 'failed')),
  next_attempt_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts(tenant_id, endpoint_id, created_at);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, attempt);
