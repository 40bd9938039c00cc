-- The development sandbox gateway's own books (worker/payments/sandbox.ts): what it charged and refunded, so the
-- merchant can query it before crediting, refunds are idempotent on our refund id, and it can issue a daily statement.
CREATE TABLE sandbox_gateway_txns (
  gateway_ref TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
  merchant_ref TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  amount_cents INTEGER NOT NULL,
  fee_cents INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  payer_account TEXT,
  booked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (kind, merchant_ref)
);
CREATE INDEX sandbox_gateway_txns_day ON sandbox_gateway_txns(tenant_id, booked_at);
