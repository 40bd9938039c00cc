-- Who may take part in a campaign (issue 19): schema/eligibility.ts Eligibility as JSON, NULL = open to everyone.
-- The definition JSON carries the same rule (the claim path reads it from there); this column lets D1 queries
-- (qualifications, reports) tell targeted campaigns apart without parsing every definition.
ALTER TABLE campaigns ADD COLUMN eligibility TEXT;
