-- Share links: an opaque random code names the sharer and the campaign; the link carries only the code.
CREATE TABLE campaign_shares (
  code TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  campaign_id TEXT NOT NULL,
  sharer_id TEXT NOT NULL,
  channel TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX campaign_shares_sharer ON campaign_shares(tenant_id, campaign_id, sharer_id);
-- /track: the last time a visitor viewed a page, so a reload within 30 s is not counted again.
CREATE TABLE track_views (
  key TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
);
CREATE INDEX track_views_seen ON track_views(seen_at);
