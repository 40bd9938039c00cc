-- Suppliers for real (issue 21): each supplier's own signing scheme and key (sealed with CARD_KEY_ENCRYPTION_KEY,
-- never returned), the origin its callback URL is built on, and when its price list was last synced; the live cost
-- and stock per product from that sync; and the operator's explicit choice to sell a product below cost.
ALTER TABLE suppliers ADD COLUMN scheme TEXT NOT NULL DEFAULT 'kaquan_v1';
ALTER TABLE suppliers ADD COLUMN app_id TEXT;
ALTER TABLE suppliers ADD COLUMN secret_enc TEXT;
ALTER TABLE suppliers ADD COLUMN callback_origin TEXT;
ALTER TABLE suppliers ADD COLUMN synced_at TEXT;
ALTER TABLE supplier_products ADD COLUMN live_cost_cents INTEGER;
ALTER TABLE supplier_products ADD COLUMN live_stock INTEGER;
ALTER TABLE products ADD COLUMN allow_below_cost INTEGER NOT NULL DEFAULT 0;
CREATE INDEX supplier_attempts_supplier ON supplier_attempts(tenant_id, supplier_id, created_at);
