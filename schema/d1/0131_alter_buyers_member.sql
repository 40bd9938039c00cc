-- Brand members (issue 16): a buyer created from a brand's signed member token is keyed on tenant + member id, so
-- every exchange of a token for that member lands on the same buyer (its limits and rewards).
ALTER TABLE buyers ADD COLUMN member_id TEXT;
CREATE UNIQUE INDEX buyers_member ON buyers(tenant_id, member_id) WHERE member_id IS NOT NULL;
