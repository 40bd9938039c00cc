-- Closed settlement periods: one signed statement per (seller, issuer, period kind) and period. The body is the exact
-- signed JSON; the ledger ranges of one group's statements follow on from each other (after_seq = the last to_seq).
CREATE TABLE settlement_statements (
  id TEXT PRIMARY KEY,
  seller_tenant_id TEXT NOT NULL REFERENCES tenants(id),
  issuer_key TEXT NOT NULL,
  period_kind TEXT NOT NULL,
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  after_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  signature TEXT NOT NULL,
  closed_at TEXT NOT NULL,
  UNIQUE (seller_tenant_id, issuer_key, period_kind, period_start)
);
CREATE INDEX settlement_statements_issuer ON settlement_statements(issuer_key, period_start);
-- What each statement counted, so an order's sale is counted once and its refunds are priced against that sale.
CREATE TABLE settlement_items (
  statement_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund', 'compensation')),
  ref TEXT NOT NULL,
  order_id TEXT,
  seq INTEGER NOT NULL,
  units INTEGER NOT NULL,
  amount_cents INTEGER NOT NULL,
  PRIMARY KEY (agreement_id, kind, ref)
);
CREATE INDEX settlement_items_order ON settlement_items(agreement_id, order_id);
