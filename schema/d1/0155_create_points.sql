-- Points ledger (issue 17): append-only movements, earned lots that expire oldest-first, and each tenant's rules.
-- members.points_balance is the cache: every movement updates it in the same D1 batch, and
-- SUM(points_movements.points) = points_balance = SUM(points_lots.remaining) per member.
CREATE TABLE points_rules (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  -- Earned per yuan of a paid order (rounded down).
  points_per_yuan INTEGER NOT NULL DEFAULT 1 CHECK (points_per_yuan >= 0),
  -- Earned per voucher redeemed at a store.
  points_per_redemption INTEGER NOT NULL DEFAULT 0 CHECK (points_per_redemption >= 0),
  expiry_months INTEGER NOT NULL DEFAULT 12 CHECK (expiry_months BETWEEN 1 AND 120),
  remind_days INTEGER NOT NULL DEFAULT 7 CHECK (remind_days BETWEEN 0 AND 90),
  -- Money value of 100 points in fen (the liability view): 100 = 100 points are worth 1 yuan.
  cents_per_100_points INTEGER NOT NULL DEFAULT 100 CHECK (cents_per_100_points >= 0),
  check_in_points INTEGER NOT NULL DEFAULT 5 CHECK (check_in_points >= 0),
  -- JSON [{ "day": 7, "points": 50 }]: a bonus on the day a streak reaches `day`.
  streak_rewards TEXT NOT NULL DEFAULT '[{"day":7,"points":50}]',
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE points_movements (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  kind TEXT NOT NULL CHECK (kind IN ('earn', 'spend', 'reverse', 'expire', 'adjust')),
  -- Signed: + earned/adjusted up/returned, − spent/expired/reversed/adjusted down.
  points INTEGER NOT NULL,
  balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
  -- order | redemption | check_in | task | referral | mall | lot | adjustment, and the id within that kind.
  source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  order_id TEXT,
  reason TEXT,
  -- A reversal that could not take back everything (the points were already spent): what was left unreversed.
  shortfall INTEGER NOT NULL DEFAULT 0,
  actor_key_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, member_id, kind, source_kind, source_id)
);
CREATE INDEX points_movements_member ON points_movements(tenant_id, member_id, created_at);
CREATE INDEX points_movements_source ON points_movements(tenant_id, source_kind, source_id);

CREATE TABLE points_lots (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  movement_id TEXT NOT NULL UNIQUE REFERENCES points_movements(id),
  points INTEGER NOT NULL CHECK (points > 0),
  remaining INTEGER NOT NULL CHECK (remaining >= 0),
  source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  earned_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  reminded_at TEXT,
  expired_at TEXT
);
CREATE INDEX points_lots_member ON points_lots(tenant_id, member_id, expires_at);
CREATE INDEX points_lots_due ON points_lots(expires_at) WHERE remaining > 0;
CREATE INDEX points_lots_source ON points_lots(tenant_id, source_kind, source_id);

-- Which lots a spend took its points from (oldest expiry first); a returned spend restores from here.
CREATE TABLE points_lot_uses (
  movement_id TEXT NOT NULL REFERENCES points_movements(id),
  lot_id TEXT NOT NULL REFERENCES points_lots(id),
  points INTEGER NOT NULL CHECK (points > 0),
  PRIMARY KEY (movement_id, lot_id)
);
