-- Paid membership cards (付费会员卡, issue 17): a product (kind coupon: the buyer holds the card as a voucher) that,
-- once paid, grants a tier for `months`, a gift pack at once and a coupon pack each month of the term.
CREATE TABLE paid_card_plans (
  product_id TEXT PRIMARY KEY REFERENCES products(id),
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  tier_id TEXT NOT NULL REFERENCES member_tiers(id),
  months INTEGER NOT NULL CHECK (months BETWEEN 1 AND 36),
  gift_product_ids TEXT NOT NULL DEFAULT '[]',
  monthly_product_ids TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One term per paid order (the primary key makes a repeated notice change nothing).
CREATE TABLE paid_card_terms (
  order_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  product_id TEXT NOT NULL,
  tier_id TEXT NOT NULL,
  -- 'purchased' (no valid card before) | 'renewed' (extends the running term)
  kind TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX paid_card_terms_member ON paid_card_terms(tenant_id, member_id, created_at);

-- Member price on shop orders: what a tier's percent off took from the list price (the order's unit price is the
-- member price).
CREATE TABLE member_order_discounts (
  order_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  tier_id TEXT NOT NULL,
  percent_off INTEGER NOT NULL,
  list_unit_cents INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
