-- Payments and refunds through a provider (built-in: 'sandbox'). provider_ref is the gateway's transaction id;
-- a callback is applied once: (provider, provider_ref) is unique and only a 'pending' charge moves.
CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  order_id TEXT NOT NULL REFERENCES orders(id),
  provider TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
  amount_cents INTEGER NOT NULL,
  currency TEXT NOT NULL DEFAULT 'CNY',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  provider_ref TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  completed_at TEXT,
  UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_order ON payments(tenant_id, order_id, kind);
