-- More payload fields lifted into columns (analytics/ingest.ts toRow): metrics filter and sum on them at 10M+ rows
-- without parsing JSON. Conventions for who sets which field: analytics/README.md and schema/events.ts.
ALTER TABLE events ADD COLUMN IF NOT EXISTS cost_cents Int64 DEFAULT 0;
ALTER TABLE events ADD COLUMN IF NOT EXISTS acquisition_campaign_id String DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS voucher_id String DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS supplier_id LowCardinality(String) DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS store_id LowCardinality(String) DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS origin LowCardinality(String) DEFAULT '';
