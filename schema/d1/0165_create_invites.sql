-- Invite-both-get (邀请有礼, issue 18). One active programme per brand; a member's invite code (never their id);
-- an invitee has at most one invite (UNIQUE), so single level by construction: rewards go to invites.inviter_id only.
CREATE TABLE invite_programmes (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  inviter_product_id TEXT NOT NULL REFERENCES products(id),
  invitee_product_id TEXT NOT NULL REFERENCES products(id),
  active INTEGER NOT NULL DEFAULT 1,
  rules TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX invite_programmes_active ON invite_programmes(tenant_id) WHERE active = 1;

CREATE TABLE invite_codes (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  buyer_id TEXT NOT NULL REFERENCES buyers(id),
  code TEXT NOT NULL UNIQUE,
  -- The device the inviter used when taking the link (self-invite check).
  device_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, buyer_id)
);

CREATE TABLE invites (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  programme_id TEXT NOT NULL REFERENCES invite_programmes(id),
  inviter_id TEXT NOT NULL REFERENCES buyers(id),
  invitee_id TEXT NOT NULL REFERENCES buyers(id),
  -- accepted → qualified (first paid order) → rewarded → reversed (that order refunded); or refused (reason).
  status TEXT NOT NULL CHECK (status IN ('accepted', 'qualified', 'rewarded', 'reversed', 'refused')),
  reason TEXT,
  device_id TEXT,
  first_order_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, invitee_id)
);
CREATE INDEX invites_inviter ON invites(tenant_id, inviter_id, created_at);
CREATE INDEX invites_first_order ON invites(tenant_id, first_order_id);
CREATE INDEX invites_programme ON invites(tenant_id, programme_id, status);

CREATE TABLE invite_rewards (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  invite_id TEXT NOT NULL REFERENCES invites(id),
  role TEXT NOT NULL CHECK (role IN ('inviter', 'invitee')),
  buyer_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'reversed')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (invite_id, role)
);
CREATE INDEX invite_rewards_buyer ON invite_rewards(tenant_id, buyer_id);
