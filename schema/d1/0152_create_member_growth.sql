-- Membership (issue 17), the growth side: the growth ledger (one row per source, so each source earns once), the
-- per-brand growth rules, the yearly review with its grace period, and the benefits issued per member and period
-- (monthly coupon pack, birthday gift, paid-card gift and monthly packs) so the cron issues each exactly once.
CREATE TABLE member_growth (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  -- Signed: a refund reverses the growth of its order with a negative row.
  growth INTEGER NOT NULL,
  source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, member_id, source_kind, source_id)
);
CREATE INDEX member_growth_source ON member_growth(tenant_id, source_kind, source_id);
CREATE INDEX member_growth_member ON member_growth(tenant_id, member_id, created_at);

CREATE TABLE member_growth_rules (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  -- Growth per yuan paid (orders), e.g. 1 = 1 growth per ¥1.
  per_yuan REAL NOT NULL DEFAULT 1 CHECK (per_yuan >= 0),
  -- JSON {"redemption": 5, "check_in": 1, ...}: growth per action kind (earnGrowthStmts callers look it up).
  actions TEXT NOT NULL DEFAULT '{}',
  -- Days between the grace notice of a yearly review and the downgrade.
  grace_days INTEGER NOT NULL DEFAULT 30 CHECK (grace_days >= 0),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per member and membership year (cycle 1 = the first anniversary of joining).
CREATE TABLE member_reviews (
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  cycle INTEGER NOT NULL,
  -- 'grace' (notice given, downgrade due at grace_until) | 'kept' | 'down'
  state TEXT NOT NULL CHECK (state IN ('grace', 'kept', 'down')),
  target_tier_id TEXT,
  grace_until TEXT,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, member_id, cycle)
);
CREATE INDEX member_reviews_grace ON member_reviews(state, grace_until);

CREATE TABLE member_benefits (
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  -- 'monthly_pack' | 'birthday_gift' | 'paid_gift' | 'paid_monthly'
  kind TEXT NOT NULL,
  -- YYYY-MM (monthly, birthday) or the paid card's order id (gift)
  period TEXT NOT NULL,
  -- JSON array of the free orders issued (each created under a derived Idempotency-Key).
  order_ids TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, member_id, kind, period)
);
