-- Catalog: what a tenant sells. Kind-specific settings (coupon threshold/discount, bundle items, recharge sku)
-- live in `config` (JSON, validated by schema/catalog.ts ProductConfig) so one table serves every kind.
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('card_key', 'direct_recharge', 'coupon', 'bundle')),
  name TEXT NOT NULL,
  subtitle TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
  face_value_cents INTEGER NOT NULL CHECK (face_value_cents >= 0),
  currency TEXT NOT NULL DEFAULT 'CNY',
  -- validity: 'fixed' uses valid_from/valid_to, 'relative' uses valid_days after issue; NULL = not set (cannot publish)
  validity_kind TEXT CHECK (validity_kind IN ('fixed', 'relative')),
  valid_from TEXT,
  valid_to TEXT,
  valid_days INTEGER,
  scope_text TEXT NOT NULL DEFAULT '',     -- where/what it can be used for, plain words
  usage_rules TEXT NOT NULL DEFAULT '',
  tutorial TEXT NOT NULL DEFAULT '',       -- how to redeem
  media TEXT NOT NULL DEFAULT '{"images":[],"videoUrl":null}',
  per_user_limit INTEGER NOT NULL DEFAULT 0, -- 0 = no limit
  -- stock for kinds not backed by card_keys rows (coupon, direct_recharge, bundle); NULL = unlimited
  stock_total INTEGER,
  stock_reserved INTEGER NOT NULL DEFAULT 0 CHECK (stock_reserved >= 0),
  stock_sold INTEGER NOT NULL DEFAULT 0 CHECK (stock_sold >= 0),
  low_stock_threshold INTEGER NOT NULL DEFAULT 10,
  config TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
  published_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (stock_total IS NULL OR stock_reserved + stock_sold <= stock_total)
);
CREATE INDEX products_tenant ON products(tenant_id, status, created_at);
