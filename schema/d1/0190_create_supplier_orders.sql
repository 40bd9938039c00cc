-- One row per order line placed at a supplier: pending while an asynchronous supplier works on it, then succeeded
-- or failed — once (a late or repeated callback changes nothing). Polled when no callback comes.
CREATE TABLE supplier_orders (
  supplier_id TEXT NOT NULL,
  order_ref TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  supplier_ref TEXT,
  detail TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  settled_at TEXT,
  polled_at TEXT,
  PRIMARY KEY (supplier_id, order_ref)
);
CREATE INDEX supplier_orders_order ON supplier_orders(tenant_id, order_id);
CREATE INDEX supplier_orders_pending ON supplier_orders(status, polled_at) WHERE status = 'pending';
-- One-time values of verified supplier callbacks (replays refused), pruned after a day.
CREATE TABLE supplier_callback_nonces (
  supplier_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (supplier_id, nonce)
);
