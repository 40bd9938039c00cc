-- The payments export pages through one tenant's charges and refunds in (created_at, id) order, as 0110 does for
-- the other datasets: a range scan instead of a sort of the tenant's whole table.
CREATE INDEX IF NOT EXISTS payments_export ON payments(tenant_id, created_at, id);
