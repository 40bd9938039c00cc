-- Exports page through one tenant's rows in (time, id) order (worker/db/exports.ts): these indexes make every page
-- a range scan instead of a sort of the tenant's whole table.
CREATE INDEX IF NOT EXISTS orders_export ON orders(tenant_id, created_at, id);
CREATE INDEX IF NOT EXISTS vouchers_export ON vouchers(tenant_id, issued_at, id);
CREATE INDEX IF NOT EXISTS redemptions_export ON redemptions(tenant_id, created_at, id);
CREATE INDEX IF NOT EXISTS buyers_export ON buyers(tenant_id, created_at, id);
