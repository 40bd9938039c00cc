-- Stored-value card (储值卡, issue 17 item 6b). Plans are what the operator sells ("充100送50": pay 10000, get 10000
-- principal + 5000 bonus); each plan is sold through its own hidden product (kind 'coupon', never published), so a
-- load is an ordinary order paid through the ordinary gateway. Accounts hold the balance cache (principal and bonus
-- apart); movements are the append-only ledger. A movement and the account update are always in one batch, the
-- account row is written from the movement's *_after columns, and UNIQUE (kind, source) makes every change happen
-- at most once per source (an order, a store charge's idempotency key).
CREATE TABLE stored_value_plans (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  pay_cents INTEGER NOT NULL CHECK (pay_cents > 0),
  bonus_cents INTEGER NOT NULL DEFAULT 0 CHECK (bonus_cents >= 0),
  -- days the bonus of one load stays spendable; NULL = it does not expire
  bonus_valid_days INTEGER CHECK (bonus_valid_days IS NULL OR bonus_valid_days > 0),
  product_id TEXT NOT NULL REFERENCES products(id),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, product_id)
);
CREATE INDEX stored_value_plans_tenant ON stored_value_plans(tenant_id, status, pay_cents);

CREATE TABLE stored_value_accounts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  principal_cents INTEGER NOT NULL DEFAULT 0 CHECK (principal_cents >= 0),
  bonus_cents INTEGER NOT NULL DEFAULT 0 CHECK (bonus_cents >= 0),
  -- when the bonus left expires (the latest expiry of the loads that carried one); NULL = never
  bonus_expires_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, member_id)
);

CREATE TABLE stored_value_movements (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES stored_value_accounts(id),
  -- loaded (a paid plan order) | spent (checkout) | returned (an order's balance part given back: cancelled, expired,
  -- refunded) | charged (at a store) | refunded (a load refunded: unspent principal out, its bonus forfeited)
  -- | expired (the bonus left, past its validity; source 'bonus_expiry', '<account>:<expiry>')
  kind TEXT NOT NULL CHECK (kind IN ('loaded', 'spent', 'returned', 'charged', 'refunded', 'expired')),
  principal_delta INTEGER NOT NULL,
  bonus_delta INTEGER NOT NULL,
  principal_after INTEGER NOT NULL CHECK (principal_after >= 0),
  bonus_after INTEGER NOT NULL CHECK (bonus_after >= 0),
  -- 'order' (orderId) or 'store_charge' (hash of redeemer key id + Idempotency-Key)
  source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  order_id TEXT,
  store_id TEXT,
  -- store charges: the request's hash, so a reused Idempotency-Key with another body is refused
  request_hash TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, kind, source_kind, source_id)
);
CREATE INDEX stored_value_accounts_bonus_expiry ON stored_value_accounts(bonus_expires_at) WHERE bonus_expires_at IS NOT NULL;
CREATE INDEX stored_value_movements_account ON stored_value_movements(tenant_id, account_id, created_at);
