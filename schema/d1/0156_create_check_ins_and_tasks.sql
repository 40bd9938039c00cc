-- Daily check-in (签到) and member tasks (issue 17). One check-in per member per Asia/Shanghai day (the key).
CREATE TABLE member_check_ins (
  tenant_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  -- YYYY-MM-DD in Asia/Shanghai.
  day TEXT NOT NULL,
  streak INTEGER NOT NULL CHECK (streak >= 1),
  points INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (tenant_id, member_id, day)
);

-- Operator-defined tasks. They reward; nothing else reads them (a task can never gate a lottery).
CREATE TABLE member_tasks (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  kind TEXT NOT NULL CHECK (kind IN ('complete_profile', 'first_purchase', 'invite_friend', 'redeem_at_store')),
  name TEXT NOT NULL,
  repeatable INTEGER NOT NULL DEFAULT 0,
  points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
  growth INTEGER NOT NULL DEFAULT 0 CHECK (growth >= 0),
  coupon_product_id TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX member_tasks_tenant ON member_tasks(tenant_id, active);

-- One row per completion: 'once' for a one-off task, the fact's id (redemption, invited member) for a repeatable one.
CREATE TABLE member_task_completions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  task_id TEXT NOT NULL REFERENCES member_tasks(id),
  member_id TEXT NOT NULL REFERENCES members(id),
  completion TEXT NOT NULL,
  points INTEGER NOT NULL DEFAULT 0,
  growth INTEGER NOT NULL DEFAULT 0,
  voucher_id TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (tenant_id, task_id, member_id, completion)
);
