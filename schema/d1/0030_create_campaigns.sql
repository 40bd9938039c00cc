-- Campaign definitions (flash sales, coupon claims, lotteries). Live state (stock, per-user counters, draw logs)
-- lives in the CampaignCoordinator / CampaignShard Durable Objects; the secret seed stays in the coordinator
-- and is copied here only after the campaign has ended (the reveal).
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('flash_sale', 'coupon_claim', 'lottery')),
  definition TEXT NOT NULL,          -- JSON of CampaignDefinition (schema/campaigns.ts)
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  seed_commitment TEXT,              -- SHA-256 hex of the seed, published before opening (lotteries)
  seed TEXT,                         -- revealed after the end
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX campaigns_tenant_starts ON campaigns (tenant_id, starts_at);
