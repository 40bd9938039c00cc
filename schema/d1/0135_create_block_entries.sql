-- Block lists (issue 16 item 5): per tenant, or platform-wide (tenant_id ''). A phone is stored as
-- its keyed hash (HMAC with the buyer-session secret, as buyers.phone_hash) and shown masked; an IP range as its
-- canonical CIDR. Rows past expires_at are ignored (and pruned by the cron).
CREATE TABLE block_entries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('phone', 'device', 'ip')),
  value TEXT NOT NULL,
  label TEXT NOT NULL,
  reason TEXT NOT NULL,
  expires_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX block_entries_value ON block_entries(tenant_id, kind, value);
CREATE INDEX block_entries_tenant ON block_entries(tenant_id, created_at);
