-- Campaign entry rules (issue 16): who may take part and the new-account cool-down, as columns next to the
-- definition JSON so the console and reports can filter on them. The definition stays the source of truth.
ALTER TABLE campaigns ADD COLUMN entry TEXT NOT NULL DEFAULT 'guest' CHECK (entry IN ('guest', 'phone', 'member'));
ALTER TABLE campaigns ADD COLUMN min_account_age_minutes INTEGER NOT NULL DEFAULT 0;
