-- Columns that reference a row an operator may delete, indexed by themselves (as 0241 for buyers): deleting a tier
-- had SQLite look for members still on it by tier_id and paid_tier_id alone, and deleting a webhook endpoint for its
-- deliveries and attempts by endpoint_id alone — each a walk of the whole table, every brand's rows.
CREATE INDEX IF NOT EXISTS members_tier_ref ON members(tier_id) WHERE tier_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS members_paid_tier_ref ON members(paid_tier_id) WHERE paid_tier_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint_ref ON webhook_deliveries(endpoint_id);
CREATE INDEX IF NOT EXISTS webhook_attempts_endpoint_ref ON webhook_attempts(endpoint_id);
