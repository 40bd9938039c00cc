-- Orders: created -> paid -> delivered | failed -> refunded; created -> cancelled/expired releases the reservation.
-- (tenant_id, idempotency_key) makes a repeated create return the same order. Ids are unguessable.
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  buyer_id TEXT NOT NULL,
  product_id TEXT NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents INTEGER NOT NULL,
  amount_cents INTEGER NOT NULL,
  currency TEXT NOT NULL DEFAULT 'CNY',
  status TEXT NOT NULL DEFAULT 'created'
    CHECK (status IN ('created', 'paid', 'delivered', 'failed', 'refunded', 'cancelled', 'expired')),
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,       -- a repeat with the same key but another body is refused
  source TEXT NOT NULL DEFAULT 'store', -- 'store', or e.g. 'flash:<campaignId>' when a campaign claim creates it
  campaign_id TEXT,
  recharge_account TEXT,            -- direct recharge target (account id at the brand), never a secret
  reserved_until TEXT,
  failure_reason TEXT,
  paid_at TEXT,
  delivered_at TEXT,
  refunded_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX orders_buyer ON orders(tenant_id, buyer_id, created_at);
CREATE INDEX orders_buyer_product ON orders(tenant_id, buyer_id, product_id, status);
CREATE INDEX orders_expiry ON orders(status, reserved_until);
-- Non-card-key reservations (coupon/recharge/bundle stock counters) per order, so release is exact and once.
CREATE TABLE order_stock_holds (
  order_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'sold', 'released')),
  PRIMARY KEY (order_id, product_id)
);
