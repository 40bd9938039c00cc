-- The brand's own membership card (issue 17). A member is a buyer who joined one brand; the card, tier, growth value
-- and points balance live here. The balance is a cache of the points ledger (points_* tables), always written in the
-- same batch as the movement that changes it, and guarded there (never below zero).
CREATE TABLE member_tiers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  -- 0 is the entry tier every member starts in; higher rank = better tier.
  rank INTEGER NOT NULL CHECK (rank >= 0),
  -- Growth value (成长值) at which a member reaches this tier.
  growth_threshold INTEGER NOT NULL CHECK (growth_threshold >= 0),
  -- JSON, schema/members.ts TierPrivileges.
  privileges TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, rank)
);

CREATE TABLE members (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  buyer_id TEXT NOT NULL REFERENCES buyers(id),
  -- The number printed on the card: unique per brand, not a secret.
  card_no TEXT NOT NULL,
  -- The tier earned by growth value (upgrades at once, downgrades only at the yearly review).
  tier_id TEXT REFERENCES member_tiers(id),
  -- A paid membership card's tier while it is valid (effective tier = the better of the two).
  paid_tier_id TEXT REFERENCES member_tiers(id),
  paid_until TEXT,
  growth INTEGER NOT NULL DEFAULT 0 CHECK (growth >= 0),
  points_balance INTEGER NOT NULL DEFAULT 0 CHECK (points_balance >= 0),
  -- MM-DD, only stored while the member's birthday consent stands.
  birthday TEXT,
  -- JSON array of short labels.
  tags TEXT NOT NULL DEFAULT '[]',
  -- 'phone' (signed in on our pages) or 'member_token' (the brand's own site through the widget).
  joined_via TEXT NOT NULL,
  joined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, buyer_id),
  UNIQUE (tenant_id, card_no)
);
CREATE INDEX members_tier ON members(tenant_id, tier_id);
CREATE INDEX members_joined ON members(tenant_id, joined_at);

-- What happened to a member, newest first on the card's history (tier changes, joins, adjustments, grace notices).
CREATE TABLE member_history (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  kind TEXT NOT NULL,
  -- JSON: flat facts of the change (from/to tier, reason, points, operator key id).
  detail TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX member_history_member ON member_history(tenant_id, member_id, created_at);
