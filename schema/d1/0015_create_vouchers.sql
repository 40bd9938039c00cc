-- Vouchers: every right issued to a holder — a delivered card key, an issued coupon, a direct-recharge record,
-- each item of a bundle, later lottery prizes and campaign claims. source_key makes issuing idempotent
-- ('order:<orderId>:<n>', 'claim:<claimId>', ...). `code` is the public, unguessable handle; a secret (card key,
-- coupon code) is stored only encrypted (secret_enc) with a keyed hash (secret_hash) for redemption look-ups.
CREATE TABLE vouchers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  holder_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('card_key', 'direct_recharge', 'coupon', 'bundle')),
  order_id TEXT,
  campaign_id TEXT,
  source_key TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  secret_enc TEXT,
  secret_hash TEXT,
  card_key_id TEXT,
  title TEXT NOT NULL,
  face_value_cents INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'redeemed', 'expired', 'voided', 'refunded')),
  valid_from TEXT NOT NULL,
  valid_to TEXT,
  meta TEXT NOT NULL DEFAULT '{}',
  issued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  status_changed_at TEXT,
  UNIQUE (tenant_id, source_key)
);
CREATE INDEX vouchers_holder ON vouchers(tenant_id, holder_id, issued_at);
CREATE INDEX vouchers_order ON vouchers(tenant_id, order_id);
CREATE INDEX vouchers_secret ON vouchers(tenant_id, secret_hash);
CREATE INDEX vouchers_expiry ON vouchers(status, valid_to);
-- A one-shot card key can back one voucher only: the database itself refuses a double delivery.
-- (Reusable "loop" keys are not bound here; their id is kept in meta.loopKeyId.)
CREATE UNIQUE INDEX vouchers_card_key_once ON vouchers(card_key_id) WHERE card_key_id IS NOT NULL;
