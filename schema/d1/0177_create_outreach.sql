-- Targeted issuance and lifecycle messaging (issue 19 items 4 and 5).
-- An issuance: one coupon product to the members of a segment's run (or one member: kind 'direct', id derived from
-- the client's key). Driven in pages by the cron; `cursor` is the last buyer id of the last finished page, so a
-- restart continues there. Counters move only with a new issuance_people row (guarded), so they stay exact.
CREATE TABLE issuances (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('segment', 'direct')),
  segment_id TEXT,
  run_id TEXT,
  coupon_product_id TEXT NOT NULL,
  holdout_pct INTEGER NOT NULL DEFAULT 10 CHECK (holdout_pct BETWEEN 0 AND 50),
  notify INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'stopped')),
  stop_reason TEXT,
  cursor TEXT,
  total INTEGER NOT NULL DEFAULT 0,
  issued INTEGER NOT NULL DEFAULT 0,
  holdout INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT
);
CREATE INDEX issuances_tenant ON issuances(tenant_id, created_at);
CREATE INDEX issuances_running ON issuances(status) WHERE status = 'running';

-- One row per person of an issuance: the one decision (issued | holdout | failed) however often a page is redone.
CREATE TABLE issuance_people (
  tenant_id TEXT NOT NULL,
  issuance_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('issued', 'holdout', 'failed')),
  order_id TEXT,
  reason TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, issuance_id, buyer_id)
) WITHOUT ROWID;

-- Per tenant: frequency cap, quiet hours, channel and the lifecycle flows (JSON, schema/outreach.ts OutreachSettings).
CREATE TABLE outreach_settings (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  settings TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Every message decision, one per (flow, person, trigger): the row that makes a flow fire exactly once. status
-- 'deferred' waits for send_after (quiet hours); 'suppressed' carries the reason. No phone numbers here.
CREATE TABLE outreach_messages (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  buyer_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  trigger_key TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('sent', 'deferred', 'suppressed')),
  reason TEXT,
  body TEXT NOT NULL DEFAULT '',
  voucher_id TEXT,
  coupon_product_id TEXT,
  order_id TEXT,
  issuance_id TEXT,
  send_after TEXT,
  sent_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, flow, buyer_id, trigger_key)
);
CREATE INDEX outreach_messages_buyer ON outreach_messages(tenant_id, buyer_id, sent_at);
CREATE INDEX outreach_messages_deferred ON outreach_messages(status, send_after) WHERE status = 'deferred';
CREATE INDEX outreach_messages_tenant ON outreach_messages(tenant_id, created_at);

-- Unsubscribes from the link in a message: one flow, or 'all' (which also withdraws marketing consent).
CREATE TABLE outreach_unsubscribes (
  tenant_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, buyer_id, flow)
) WITHOUT ROWID;
