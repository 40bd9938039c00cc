-- Stores (门店) of a brand where vouchers are redeemed.
CREATE TABLE stores (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX stores_tenant ON stores(tenant_id, created_at);

-- Redeemer keys: optional binding to one store, and suspension (by risk monitoring or an admin).
CREATE TABLE redeemer_key_settings (
  api_key_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  store_id TEXT,
  suspended_at TEXT,
  suspended_reason TEXT
);
CREATE INDEX redeemer_key_settings_tenant ON redeemer_key_settings(tenant_id);

-- Store restriction of a product: when a product has rows here, its vouchers redeem only at these stores.
CREATE TABLE product_stores (
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  store_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, product_id, store_id)
);
