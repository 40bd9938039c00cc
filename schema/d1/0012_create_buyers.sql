-- Buyers: a phone account or a guest (bound to a signed cookie). Phones are stored as a keyed hash plus a masked
-- form for display; a guest attached to a phone account points at it with merged_into.
CREATE TABLE buyers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('phone', 'guest')),
  phone_hash TEXT,
  phone_masked TEXT,
  merged_into TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, phone_hash)
);
-- One-time sign-in codes: only a hash of the code is kept; expiry, attempts and resend throttling are enforced.
CREATE TABLE otp_codes (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  phone_hash TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  expires_at TEXT NOT NULL,
  consumed_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX otp_codes_phone ON otp_codes(tenant_id, phone_hash, created_at);
-- Sandbox SMS outbox: what the fake SMS provider "sent". Read only through a development-only endpoint.
CREATE TABLE sms_outbox (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  phone_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX sms_outbox_phone ON sms_outbox(tenant_id, phone_hash, created_at);
