-- The replace policy replaces one original voucher at most this many times (a replacement's replacement counts);
-- a report past it goes to the brand's complaint queue. Per brand (product_id = '*') or per product.
ALTER TABLE compensation_policies ADD COLUMN max_replacements INTEGER NOT NULL DEFAULT 1 CHECK (max_replacements BETWEEN 0 AND 10);

-- Why a complaint was left for the brand instead of the automatic policy ('replacement_limit'); NULL otherwise.
ALTER TABLE complaints ADD COLUMN escalation TEXT;

-- Walking a replacement chain back to its original voucher; counting one holder's recent reports.
CREATE INDEX complaints_replacement ON complaints(tenant_id, replacement_voucher_id);
CREATE INDEX complaints_holder ON complaints(tenant_id, holder_id, created_at);
