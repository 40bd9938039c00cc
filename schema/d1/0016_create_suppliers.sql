-- Upstream rights suppliers, the products they can fulfil (and at what cost), a circuit breaker per supplier,
-- and every attempt made for an order.
CREATE TABLE suppliers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'sandbox',
  base_url TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  open_until TEXT,  -- circuit open: skipped until this time
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, name)
);
CREATE TABLE supplier_products (
  tenant_id TEXT NOT NULL,
  supplier_id TEXT NOT NULL REFERENCES suppliers(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  supplier_sku TEXT NOT NULL,
  cost_cents INTEGER NOT NULL,
  PRIMARY KEY (supplier_id, product_id)
);
CREATE INDEX supplier_products_product ON supplier_products(tenant_id, product_id);
CREATE TABLE supplier_attempts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  supplier_id TEXT NOT NULL,
  outcome TEXT NOT NULL, -- ok | out_of_stock | error | timeout
  latency_ms INTEGER NOT NULL,
  detail TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX supplier_attempts_order ON supplier_attempts(tenant_id, order_id);
