-- Points mall (积分商城, issue 17): a catalog product offered for points or points + cash, with its own stock and a
-- per-member limit; an exchange spends the points in the batch that takes the stock, then places an ordinary order.
CREATE TABLE mall_items (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  title TEXT NOT NULL,
  points INTEGER NOT NULL CHECK (points > 0),
  cash_cents INTEGER NOT NULL DEFAULT 0 CHECK (cash_cents >= 0),
  stock_total INTEGER NOT NULL CHECK (stock_total >= 0),
  stock_left INTEGER NOT NULL CHECK (stock_left >= 0),
  -- NULL: no limit.
  per_member_limit INTEGER CHECK (per_member_limit IS NULL OR per_member_limit > 0),
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX mall_items_tenant ON mall_items(tenant_id, active);

CREATE TABLE mall_exchanges (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  item_id TEXT NOT NULL REFERENCES mall_items(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  buyer_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  points INTEGER NOT NULL,
  cash_cents INTEGER NOT NULL,
  order_id TEXT,
  -- placed: points spent, stock taken; ordered: the order exists; returned: points and stock given back.
  status TEXT NOT NULL CHECK (status IN ('placed', 'ordered', 'returned')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, member_id, idempotency_key)
);
CREATE INDEX mall_exchanges_member_item ON mall_exchanges(tenant_id, item_id, member_id, status);
CREATE INDEX mall_exchanges_order ON mall_exchanges(tenant_id, order_id);
