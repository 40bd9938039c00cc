-- Where a tenant's alerts go (besides webhook endpoints subscribed to `alert`), and the de-duplication state:
-- one row per alert kind + subject, sent at most once per quiet period.
CREATE TABLE alert_settings (
  tenant_id TEXT PRIMARY KEY,
  emails TEXT NOT NULL DEFAULT '[]', -- JSON array of addresses
  phones TEXT NOT NULL DEFAULT '[]', -- JSON array of mainland mobile numbers (brand staff)
  quiet_minutes INTEGER NOT NULL DEFAULT 30,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE alert_notices (
  tenant_id TEXT NOT NULL,
  dedup_key TEXT NOT NULL, -- kind + '|' + subject
  last_sent_at INTEGER NOT NULL, -- epoch ms
  last_event_id TEXT NOT NULL,
  suppressed INTEGER NOT NULL DEFAULT 0, -- repeats held back since last_sent_at
  PRIMARY KEY (tenant_id, dedup_key)
);

-- The e-mail sandbox: messages "sent" land here, readable in development only.
CREATE TABLE email_outbox (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX email_outbox_tenant ON email_outbox(tenant_id, created_at);
