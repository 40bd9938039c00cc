-- A first-purchase task's completion remembers the order that completed it, so that order's refund takes the reward
-- back (services/member-activity.ts reverseTasksOfRefund), once: reversed_at is set by the batch that takes it back.
ALTER TABLE member_task_completions ADD COLUMN order_id TEXT;
ALTER TABLE member_task_completions ADD COLUMN reversed_at TEXT;
CREATE INDEX member_task_completions_order ON member_task_completions(tenant_id, order_id) WHERE order_id IS NOT NULL;
