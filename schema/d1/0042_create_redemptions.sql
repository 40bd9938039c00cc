-- Every redemption attempt, successful or not: the merchant history, the idempotency record and the input of
-- frequency monitoring. At most one succeeded row per voucher (the partial unique index), and a repeated
-- Idempotency-Key of the same key returns the stored outcome.
CREATE TABLE redemptions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  api_key_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  reason TEXT, -- error code when failed
  http_status INTEGER NOT NULL,
  response TEXT NOT NULL, -- the JSON body returned, replayed on a retry
  voucher_id TEXT,
  voucher_code TEXT,
  holder_id TEXT,
  title TEXT,
  store_id TEXT,
  source_ip TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, api_key_id, idempotency_key)
);
CREATE UNIQUE INDEX redemptions_one_success ON redemptions(tenant_id, voucher_id) WHERE outcome = 'succeeded';
CREATE INDEX redemptions_store ON redemptions(tenant_id, store_id, created_at);
CREATE INDEX redemptions_key ON redemptions(tenant_id, api_key_id, outcome, created_at);
CREATE INDEX redemptions_holder ON redemptions(tenant_id, holder_id, created_at);
CREATE INDEX redemptions_recent ON redemptions(tenant_id, created_at);

-- Risk events raised by redemption monitoring; one per (kind, subject, window) so a burst is flagged once.
CREATE TABLE risk_events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  window_start TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}',
  action TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, kind, subject, window_start)
);
CREATE INDEX risk_events_tenant ON risk_events(tenant_id, created_at);
