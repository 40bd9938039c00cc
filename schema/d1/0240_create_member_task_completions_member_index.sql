-- A member's task completions (db/member-activity.ts, read by 会员中心's task list) were found through
-- (tenant_id, task_id, member_id, completion): every completion of the brand's members. By member now.
CREATE INDEX member_task_completions_member ON member_task_completions(tenant_id, member_id);
