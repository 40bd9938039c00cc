-- Group buys (拼团, issue 18 item 1). An operator sells a published product at a group price to teams of N within T
-- minutes. A team's seats are serialised by its GroupTeam Durable Object (the N check); these rows are the durable
-- record the cron sweep settles from (worker/services/groups.ts). A member's order is an ordinary shop order with
-- source 'group:<teamId>': paid but not delivered until the team is full, refunded when it fails.
CREATE TABLE group_buys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  name TEXT NOT NULL,
  group_price_cents INTEGER NOT NULL CHECK (group_price_cents > 0),
  team_size INTEGER NOT NULL CHECK (team_size BETWEEN 2 AND 10),
  team_minutes INTEGER NOT NULL CHECK (team_minutes BETWEEN 5 AND 1440),
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  -- disclosed on the page when 1: a team short of members at its deadline is completed by the brand, not failed
  auto_complete INTEGER NOT NULL DEFAULT 0 CHECK (auto_complete IN (0, 1)),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  closed_at TEXT
);
CREATE INDEX group_buys_tenant ON group_buys(tenant_id, status, created_at);
CREATE INDEX group_buys_product ON group_buys(tenant_id, product_id, status);

CREATE TABLE group_teams (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  group_buy_id TEXT NOT NULL REFERENCES group_buys(id),
  leader_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  -- open → completed (N paid: every order delivered) | failed (deadline or closed: every paid order refunded)
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'failed')),
  expires_at TEXT NOT NULL,
  opened_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  settled_at TEXT,
  fail_reason TEXT,
  auto_completed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX group_teams_buy ON group_teams(tenant_id, group_buy_id, opened_at);
CREATE INDEX group_teams_due ON group_teams(status, expires_at);

-- One seat per buyer per team (the seat's order is created once, idempotency key group:<teamId>:<buyerId>).
-- held (order unpaid) → paid (confirmed by the team object) | refused (paid after the team filled or failed: refunded)
CREATE TABLE group_members (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  team_id TEXT NOT NULL REFERENCES group_teams(id),
  buyer_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  seat INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'paid', 'refused')),
  joined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  paid_at TEXT,
  PRIMARY KEY (team_id, buyer_id),
  UNIQUE (order_id)
);
CREATE INDEX group_members_team ON group_members(tenant_id, team_id, status);
