-- An operator may pause a campaign (claims and draws refused with campaign_paused) and resume it; a duplicated
-- campaign starts paused. The CampaignCoordinator and its shards hold the same flag (they decide every claim).
ALTER TABLE campaigns ADD COLUMN paused_at TEXT;
