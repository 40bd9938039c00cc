-- Coupons at checkout (issue 19, 千人千券).
-- Product tags: the scope of online coupons (JSON array of strings).
ALTER TABLE products ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
-- What coupons took off the order (amount_cents is what remains to pay).
ALTER TABLE orders ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0;

-- Which coupon took how much off which order. A coupon used at checkout is a voucher moved issued → redeemed in the
-- order's own batch, guarded on status and holder; this row is inserted first and every other statement of the
-- application is guarded on it. state: applied (the order holds it) → returned (refund/cancel gave it back, still
-- valid) | spent (refund/cancel after it expired: stays used). The partial unique index refuses a second live
-- application of one voucher even if a guard were wrong.
CREATE TABLE order_coupons (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  voucher_id TEXT NOT NULL,
  coupon_product_id TEXT NOT NULL,
  coupon_kind TEXT NOT NULL,
  discount_cents INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'returned', 'spent')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  settled_at TEXT,
  PRIMARY KEY (order_id, voucher_id)
);
CREATE UNIQUE INDEX order_coupons_live ON order_coupons(voucher_id) WHERE state = 'applied';
CREATE INDEX order_coupons_tenant ON order_coupons(tenant_id, coupon_product_id);

-- The coupon campaign's budget and what was spent of it, one row per coupon product (created with the product's
-- first budget or first use). Moved only by guarded UPDATEs in the batch that issues (fulfilment) or applies
-- (order placement), so concurrent orders never pass max_count / max_cents. NULL max = unlimited.
CREATE TABLE coupon_budgets (
  tenant_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  max_count INTEGER,
  max_cents INTEGER,
  issued_count INTEGER NOT NULL DEFAULT 0,
  applied_count INTEGER NOT NULL DEFAULT 0,
  applied_cents INTEGER NOT NULL DEFAULT 0,
  exhausted_at TEXT,
  PRIMARY KEY (tenant_id, product_id)
) WITHOUT ROWID;

-- One row per order whose coupons were counted against the issue budget (a second delivery run counts nothing).
CREATE TABLE coupon_issues (
  tenant_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  PRIMARY KEY (order_id, product_id)
) WITHOUT ROWID;
