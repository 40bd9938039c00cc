-- Share links for every mechanism (issue 18): a share names its mechanism (campaign | product | group | assist |
-- invite) and that thing's id. campaign_id becomes optional (only campaign shares have one); old rows are campaign
-- shares of their campaign, so their codes keep resolving to the same sharer.
CREATE TABLE campaign_shares_v2 (
  code TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  mechanism TEXT NOT NULL DEFAULT 'campaign',
  subject_id TEXT NOT NULL,
  campaign_id TEXT,
  sharer_id TEXT NOT NULL,
  channel TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO campaign_shares_v2 (code, tenant_id, mechanism, subject_id, campaign_id, sharer_id, channel, created_at)
  SELECT code, tenant_id, 'campaign', campaign_id, campaign_id, sharer_id, channel, created_at FROM campaign_shares;
DROP TABLE campaign_shares;
ALTER TABLE campaign_shares_v2 RENAME TO campaign_shares;
CREATE INDEX campaign_shares_sharer ON campaign_shares(tenant_id, campaign_id, sharer_id);
CREATE INDEX campaign_shares_subject ON campaign_shares(tenant_id, mechanism, subject_id, sharer_id);
