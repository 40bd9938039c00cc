-- Friend assist (助力, issue 18). An operator's activity: a reward product unlocked by `goal` helps within `hours`
-- of a member's request. Exactness lives in the constraints: one help per helper (and per device) per activity, and
-- a help is inserted only while its request is open, in time and short of its goal (guarded INSERT…SELECT in the same
-- batch as the count). The reward is a free order keyed on the request id (services/orders.ts createOrder).
CREATE TABLE assists (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  product_id TEXT NOT NULL REFERENCES products(id),
  goal INTEGER NOT NULL CHECK (goal BETWEEN 1 AND 100),
  hours INTEGER NOT NULL CHECK (hours BETWEEN 1 AND 720),
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  require_phone INTEGER NOT NULL DEFAULT 0,
  one_per_device INTEGER NOT NULL DEFAULT 1,
  rules TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX assists_tenant ON assists(tenant_id, created_at);

CREATE TABLE assist_requests (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  assist_id TEXT NOT NULL REFERENCES assists(id),
  requester_id TEXT NOT NULL REFERENCES buyers(id),
  member_id TEXT NOT NULL,
  -- The link's code (never the member's id).
  code TEXT NOT NULL UNIQUE,
  device_id TEXT,
  goal INTEGER NOT NULL,
  helps INTEGER NOT NULL DEFAULT 0 CHECK (helps >= 0 AND helps <= goal),
  expires_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reached', 'expired')),
  -- The help whose batch reached the goal: the one batch that records assist_goal_reached's precondition.
  reached_help_id TEXT,
  reached_at TEXT,
  reward_order_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- One open request per member per activity.
CREATE UNIQUE INDEX assist_requests_open ON assist_requests(tenant_id, assist_id, requester_id) WHERE status = 'open';
CREATE INDEX assist_requests_assist ON assist_requests(tenant_id, assist_id, created_at);

CREATE TABLE assist_helps (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  assist_id TEXT NOT NULL,
  request_id TEXT NOT NULL REFERENCES assist_requests(id),
  helper_id TEXT NOT NULL,
  device_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  -- One help per friend per activity (not just per request), and one per device.
  UNIQUE (tenant_id, assist_id, helper_id)
);
CREATE UNIQUE INDEX assist_helps_device ON assist_helps(tenant_id, assist_id, device_id) WHERE device_id IS NOT NULL;
CREATE INDEX assist_helps_request ON assist_helps(request_id, created_at);

-- Refused helps by reason, for the operator's page (a counter, not a log).
CREATE TABLE assist_refusals (
  tenant_id TEXT NOT NULL,
  assist_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, assist_id, reason)
);
