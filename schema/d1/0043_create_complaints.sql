-- Compensation policy per brand (product_id = '*') or per product.
CREATE TABLE compensation_policies (
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL DEFAULT '*',
  policy TEXT NOT NULL CHECK (policy IN ('replace', 'refund', 'manual')),
  PRIMARY KEY (tenant_id, product_id)
);

-- A holder's report that a voucher does not work; one per voucher, resolved by policy or by the brand.
CREATE TABLE complaints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  voucher_id TEXT NOT NULL,
  voucher_code TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  problem TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replaced', 'refunded', 'rejected')),
  replacement_voucher_id TEXT,
  replacement_code TEXT,
  refund_cents INTEGER,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  resolved_at TEXT,
  UNIQUE (tenant_id, voucher_id)
);
CREATE INDEX complaints_tenant ON complaints(tenant_id, status, created_at);

-- Holders' ratings of what they bought: one per voucher (a second rating replaces the first).
CREATE TABLE voucher_ratings (
  tenant_id TEXT NOT NULL,
  voucher_id TEXT NOT NULL,
  voucher_code TEXT NOT NULL,
  holder_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
  comment TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, voucher_id)
);
CREATE INDEX voucher_ratings_product ON voucher_ratings(tenant_id, product_id);
