-- What the membership cron is due to do, kept on indexed columns so each minute reads the members that are due, not
-- every member of every brand (it used to: the yearly review, the month's benefits and the lapse check each scanned
-- `members`, and the gift check every paid term).

-- The next yearly-review step: the next membership anniversary (julianday + 365 × cycle, as the review counts cycles),
-- or the end of a running grace period. Set on join and whenever joined_at changes; moved on by the cron. Existing
-- members start at their first anniversary: the cron's first pass moves each on to its next step (reviews are keyed by
-- cycle, so nothing is reviewed twice).
ALTER TABLE members ADD COLUMN review_due_at TEXT;
UPDATE members SET review_due_at = strftime('%Y-%m-%dT%H:%M:%fZ', julianday(joined_at) + 365);
CREATE INDEX members_review_due ON members(review_due_at, id);
CREATE TRIGGER members_review_due_on_join AFTER INSERT ON members WHEN NEW.review_due_at IS NULL BEGIN
  UPDATE members SET review_due_at = strftime('%Y-%m-%dT%H:%M:%fZ', julianday(NEW.joined_at) + 365) WHERE id = NEW.id;
END;
CREATE TRIGGER members_review_due_on_joined_at AFTER UPDATE OF joined_at ON members BEGIN
  UPDATE members SET review_due_at = strftime('%Y-%m-%dT%H:%M:%fZ', julianday(NEW.joined_at) + 365) WHERE id = NEW.id;
END;

-- The last month (YYYY-MM) whose benefits the cron checked for this member ('' = never); the month's 'checked' row in
-- member_benefits stays the record others read (the birthday flow).
ALTER TABLE members ADD COLUMN benefits_period TEXT NOT NULL DEFAULT '';
UPDATE members SET benefits_period = coalesce(
  (SELECT max(b.period) FROM member_benefits b WHERE b.tenant_id = members.tenant_id AND b.member_id = members.id AND b.kind = 'checked'), '');
CREATE INDEX members_benefits_due ON members(benefits_period, id);

-- Paid cards to lapse: only members holding a paid tier.
CREATE INDEX members_paid_lapse ON members(paid_until) WHERE paid_tier_id IS NOT NULL;

-- A paid term's gift pack issued (its member_benefits 'paid_gift' row written in the same batch).
ALTER TABLE paid_card_terms ADD COLUMN gift_issued INTEGER NOT NULL DEFAULT 0;
UPDATE paid_card_terms SET gift_issued = 1 WHERE EXISTS (SELECT 1 FROM member_benefits b
  WHERE b.tenant_id = paid_card_terms.tenant_id AND b.member_id = paid_card_terms.member_id AND b.kind = 'paid_gift' AND b.period = paid_card_terms.order_id);
CREATE INDEX paid_card_terms_gift_owed ON paid_card_terms(created_at) WHERE gift_issued = 0;
